# The hub image: `docker compose build hub` from the repository root context.
FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/cloud-hub hub
WORKDIR /src
COPY pyproject.toml README.md ./
COPY pm25 pm25
COPY cloud_hub cloud_hub
COPY edge_agent edge_agent
COPY training training
RUN pip install --no-cache-dir ".[hub]"
USER hub
EXPOSE 8000
CMD ["cloud-hub", "serve"]
