"""A real S3-compatible HTTP server for tests: moto's standalone server on a free port.

It speaks the S3 REST protocol over HTTP, so boto3 talks to it as to AWS or MinIO. With
``auth=True`` it checks signatures (moto's IAM): the first three requests create a user, its
access key and an allow-all S3 policy; every request after that must be signed with that key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from tests.support.ports import free_port, wait_for_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass
class S3Server:
    port: int
    access_key_id: str = "testing"
    secret_access_key: str = "testing"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, auth: bool = False) -> None:
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        if auth:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, timeout_s=30)
        if auth:
            iam = boto3.client(
                "iam", endpoint_url=self.url, region_name="us-east-1",
                aws_access_key_id="boot", aws_secret_access_key="boot",
            )  # fmt: skip
            iam.create_user(UserName="hub")
            key = iam.create_access_key(UserName="hub")["AccessKey"]
            iam.put_user_policy(UserName="hub", PolicyName="s3", PolicyDocument=json.dumps(_POLICY))
            self.access_key_id, self.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def client(self) -> S3Client:
        """A boto3 client with the server's credentials, for test set-up."""
        return boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=self.access_key_id, aws_secret_access_key=self.secret_access_key,
        )  # fmt: skip


@contextmanager
def s3_server(*, auth: bool = False) -> Iterator[S3Server]:
    """A running moto S3 server; stopped on exit."""
    server = S3Server(free_port())
    server.start(auth=auth)
    try:
        yield server
    finally:
        server.stop()
