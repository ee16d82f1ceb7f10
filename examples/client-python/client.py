"""Calls a micro service through the sidecar, standard library only.

usage: client.py [SIDECAR] [NAME]   (SIDECAR defaults to 127.0.0.1:8081)
"""
import json
import sys
import urllib.error
import urllib.request

sidecar = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8081"
name = sys.argv[2] if len(sys.argv) > 2 else "Ann"
body = json.dumps({"service": "greeter", "endpoint": "Say.Hello", "request": {"name": name}}).encode()
req = urllib.request.Request("http://%s/rpc" % sidecar, data=body, headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as res:
        print(json.dumps(json.load(res)))
except urllib.error.HTTPError as e:
    print(e.read().decode(), file=sys.stderr)
    sys.exit(1)
