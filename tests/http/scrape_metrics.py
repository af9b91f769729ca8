#!/usr/bin/python3
"""Scrapes a Prometheus endpoint and parses it with prometheus_client's own
text parser (a failure to parse is an error). Prints one sample per line:
name{label="value",...} value, labels sorted, for the C++ test to check."""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    content_type = response.headers.get("Content-Type", "")
    text = response.read().decode("utf-8")
if not content_type.startswith("text/plain"):
    sys.exit(f"unexpected Content-Type {content_type!r}")
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}{{{labels}}} {sample.value!r}")
