"""Reads Parquet files with pyarrow and prints, as JSON, each file's row count and column types.

Usage: read_parquet.py FILE... ; or read_parquet.py --s3 ENDPOINT BUCKET PREFIX to read every object
under PREFIX from an S3-compatible server on loopback.
"""

import io
import json
import os
import sys

import pyarrow.parquet as pq


def describe(table):
    return {
        "rows": table.num_rows,
        "types": {field.name: str(field.type) for field in table.schema},
        "uids": [row["uid"] for row in table.column("metadata").to_pylist()],
        "times": table.column("time").to_pylist(),
    }


def main():
    if sys.argv[1] == "--s3":
        import boto3

        endpoint, bucket, prefix = sys.argv[2:5]
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        result = {}
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                result[item["Key"]] = describe(pq.read_table(io.BytesIO(body)))
        print(json.dumps(result))
        return
    print(json.dumps({path: describe(pq.read_table(path)) for path in sys.argv[1:]}))


if __name__ == "__main__":
    main()
    # pyarrow's native thread pools can abort the interpreter's teardown ("terminate called without an
    # active exception") after all output is written, so the script ends without that teardown.
    sys.stdout.flush()
    os._exit(0)
