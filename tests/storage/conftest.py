"""A real S3-compatible endpoint for the storage tests: ``moto_server`` on 127.0.0.1 with a
fresh bucket per test. The AWS variables, the endpoint's included, are set at import (its port
chosen then), before any Ray worker starts: the session cluster's workers (curation actors,
Ray Train's checkpoint writers) inherit them whichever test started the cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from tests.cli import free_port

# test-only credentials of the local moto server (it accepts any)
os.environ.setdefault("AWS_ACCESS_KEY_ID", "skyray-test-key")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "skyray-test-secret")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


MOTO_PORT = free_port()
os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{MOTO_PORT}"


@pytest.fixture(scope="session")
def s3_endpoint():
    """``http://127.0.0.1:PORT`` of a moto S3 server (set as ``AWS_ENDPOINT_URL``)."""
    import httpx

    exe = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or "moto_server"
    port = MOTO_PORT
    proc = subprocess.Popen(
        [exe, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_root(s3_endpoint, tmp_path, monkeypatch) -> str:
    """``s3://<fresh bucket>/prefix``, with a private staging folder."""
    from pyarrow import fs

    bucket = f"skyray-{uuid.uuid4().hex[:10]}"
    fs.S3FileSystem(
        endpoint_override=s3_endpoint, scheme="http", allow_bucket_creation=True
    ).create_dir(bucket)
    monkeypatch.setenv("SKYRAY_STAGING_DIR", str(tmp_path / "staging"))
    return f"s3://{bucket}/prefix"


@pytest.fixture(scope="session")
def workload(data_dir):
    """Realistic synthetic samples with a few test-set leaks (as the curation tests use)."""
    from skyray.testing.curate_workload import make_workload

    return make_workload(data_dir, 800, seed=7, leak_rate=0.03)


def s3_files(uri: str) -> list[str]:
    """Relative paths of every object under ``uri``."""
    from pyarrow import fs as pafs

    from skyray.storage import filesystem

    fs, root = filesystem(uri)
    infos = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
    return sorted(i.path[len(root) + 1 :] for i in infos if i.type == pafs.FileType.File)
