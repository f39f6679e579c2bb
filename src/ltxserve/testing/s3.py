"""An S3 server in this process (moto), for tests and benchmarks: real HTTP, real boto3, no cloud."""

from __future__ import annotations

import os
from typing import Any

BUCKET = "ltxserve-test"


class InProcessS3:
    """moto's threaded server on a free loopback port, with one bucket and the AWS variables to reach it."""

    def __init__(self, bucket: str = BUCKET) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        self.bucket = bucket
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> InProcessS3:
        import logging

        import boto3

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        boto3.client("s3", **self.client_kwargs()).create_bucket(Bucket=self.bucket)
        return self

    def env(self) -> dict[str, str]:
        """What a process needs to reach this server through boto3's standard settings."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "region_name": "us-east-1",
        }

    def apply_env(self) -> None:
        os.environ.update(self.env())

    def stop(self) -> None:
        self._server.stop()
