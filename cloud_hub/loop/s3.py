"""Sample files in an S3-compatible object store (AWS S3, MinIO, Ceph RGW) through boto3.

Objects are ``<prefix>/<sample key>`` with the same keys as the local store, so moving a hub
from one store to the other is a copy. Every boto3/botocore error is wrapped here, once, into
:class:`StoreUnavailable` (or :class:`NotFound` for a missing object); messages name the
endpoint, bucket and key, never a credential. The bucket is checked at first use, not at
construction, so a hub whose store is down still starts; the harvest retries later.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cloud_hub.errors import NotFound, StoreUnavailable
from cloud_hub.loop.settings import S3Settings
from cloud_hub.loop.store import check_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_WHY = {
    "InvalidAccessKeyId": "the access key id is not known to the store",
    "SignatureDoesNotMatch": "the secret access key is wrong",
    "AccessDenied": "access denied (credentials or bucket policy)",
    "403": "access denied (credentials or bucket policy)",
    "NoSuchBucket": "the bucket does not exist (create it or set samples.s3.create_bucket)",
    "404": "the bucket does not exist (create it or set samples.s3.create_bucket)",
}


def _why(e: Exception) -> str:
    if isinstance(e, ClientError):
        code = str(e.response.get("Error", {}).get("Code", ""))
        return _WHY.get(code, f"{code}: {e}")
    return str(e)


class S3SampleStore:
    def __init__(self, s: S3Settings) -> None:
        self._s = s
        config = Config(
            s3={"addressing_style": "path" if s.path_style else "auto"},
            connect_timeout=s.timeout_s,
            read_timeout=s.timeout_s,
            retries={"max_attempts": s.max_attempts, "mode": "standard"},
        )
        key_id, secret = s.access_key_id, s.secret_access_key
        self._client: S3Client = boto3.client(
            "s3",
            endpoint_url=s.endpoint_url,
            region_name=s.region,
            aws_access_key_id=key_id.get_secret_value() if key_id else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=config,
        )
        self._ready = False
        self._lock = threading.Lock()

    def _where(self) -> str:
        return f"{self._s.endpoint_url or 'aws'}/{self._s.bucket}"

    def _object(self, key: str) -> str:
        check_key(key)
        return f"{self._s.prefix}/{key}" if self._s.prefix else key

    def _ensure_bucket(self) -> None:
        with self._lock:
            if self._ready:
                return
            bucket = self._s.bucket
            try:
                self._client.head_bucket(Bucket=bucket)
            except ClientError as e:
                code = str(e.response.get("Error", {}).get("Code", ""))
                if code not in ("404", "NoSuchBucket") or not self._s.create_bucket:
                    raise StoreUnavailable(f"S3 store {self._where()}: {_why(e)}") from e
                self._create(bucket)
            except BotoCoreError as e:
                raise StoreUnavailable(f"S3 store {self._where()} unreachable: {e}") from e
            self._ready = True

    def _create(self, bucket: str) -> None:
        try:
            if self._s.region == "us-east-1":
                self._client.create_bucket(Bucket=bucket)
            else:
                self._client.create_bucket(
                    Bucket=bucket,
                    CreateBucketConfiguration={"LocationConstraint": self._s.region},  # type: ignore[typeddict-item]
                )
        except (BotoCoreError, ClientError) as e:
            raise StoreUnavailable(f"S3 store {self._where()}: cannot create bucket: {e}") from e

    def put(self, key: str, data: bytes) -> None:
        name = self._object(key)
        self._ensure_bucket()
        try:
            self._client.put_object(
                Bucket=self._s.bucket, Key=name, Body=data, ContentType="image/jpeg"
            )
        except (BotoCoreError, ClientError) as e:
            self._ready = False  # check (or create) the bucket again on the next try
            raise StoreUnavailable(
                f"cannot write sample {name} to S3 store {self._where()}: {_why(e)}"
            ) from e

    def get(self, key: str) -> bytes:
        name = self._object(key)
        try:
            return self._client.get_object(Bucket=self._s.bucket, Key=name)["Body"].read()
        except ClientError as e:
            if str(e.response.get("Error", {}).get("Code", "")) == "NoSuchKey":
                raise NotFound(f"sample {name} is missing from S3 store {self._where()}") from e
            raise StoreUnavailable(
                f"cannot read sample {name} from S3 store {self._where()}: {_why(e)}"
            ) from e
        except BotoCoreError as e:
            raise StoreUnavailable(
                f"cannot read sample {name} from S3 store {self._where()}: {e}"
            ) from e

    def keys(self, under: str = "") -> list[str]:
        base = f"{self._s.prefix}/" if self._s.prefix else ""
        out: list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._s.bucket, Prefix=base + under
            )
            for page in pages:
                out += [o["Key"].removeprefix(base) for o in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as e:
            raise StoreUnavailable(f"cannot list S3 store {self._where()}: {_why(e)}") from e
        return sorted(out)

    def describe(self) -> str:
        return f"s3:{self._where()}/{self._s.prefix}"
