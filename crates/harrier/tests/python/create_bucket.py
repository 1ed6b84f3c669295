"""Creates a bucket on an S3-compatible server on loopback: create_bucket.py ENDPOINT BUCKET."""

import sys

import boto3

endpoint, bucket = sys.argv[1:3]
boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
).create_bucket(Bucket=bucket)
