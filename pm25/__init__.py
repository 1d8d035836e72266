"""The shared core of 2.5Vision Edge.

What every app agrees on lives here and nowhere else: the wire contract (``wire``, ``topics``),
the model release description (``manifest``), the one preprocessing function (``preprocess``),
AQI (``aqi``) and the haze physics with the scene simulator (``physics``, ``scene``,
``pollution``). It depends only on numpy, OpenCV and pydantic, so a camera unit can import it.
"""

__version__ = "0.1.0"
