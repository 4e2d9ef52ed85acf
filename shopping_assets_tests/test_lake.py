"""The bucket's mirror of an input folder, against the real embedded S3 server."""

from __future__ import annotations

from shopping_assets.resources.lake import SINGLE_REQUEST_BYTES


def test_a_mirror_puts_small_files_in_one_request_large_ones_in_parts_and_drops_stale_objects(lake, tmp_path):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_bytes(b'{"customer_id": "C1"}\n' * 3)
    large.write_bytes(b"x" * (SINGLE_REQUEST_BYTES + 1))
    client = lake.client()
    calls: list[str] = []

    def seen(model, **_) -> None:  # a handler that returns a value would answer the call itself
        calls.append(model.name)

    client.meta.events.register("before-call.s3", seen)
    lake.mirror({"d/old.json": small}, "d/")
    calls.clear()

    mirrored = lake.mirror({"d/small.json": small, "d/large.json": large}, "d/")

    assert calls.count("PutObject") == 1 and calls.count("CreateMultipartUpload") == 1
    assert calls.count("UploadPart") >= 2 and "CompleteMultipartUpload" in calls
    assert mirrored["uploaded"] == 2 and mirrored["deleted"] == 1
    assert mirrored["bytes"] == small.stat().st_size + large.stat().st_size
    bodies = {
        key: client.get_object(Bucket=lake.bucket, Key=lake.prefix + key)["Body"].read()
        for key in lake.list_keys(client, "d/")
    }
    assert bodies == {"d/small.json": small.read_bytes(), "d/large.json": large.read_bytes()}
