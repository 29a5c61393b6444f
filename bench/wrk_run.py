"""Running wrk for bench_http.py: the Lua it is given (headers, a unique POST body, a summary
line as JSON) and what a run cost the server's processes in CPU."""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

# wrk's Lua: one summary line as JSON at the end (latencies in microseconds).
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,'
    .. '"p50_us":%d,"p99_us":%d}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""
LUA_POST = """
local counter = 0
local prefix = "W" .. tostring(math.random(100000, 999999))
local template = %(template)s
wrk.method = "POST"
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format(template, prefix .. "n" .. counter))
end
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live descendants, from /proc: what a
    request costs the server whatever else the machine runs (wall-clock req/s is not that)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rpartition(")")[2].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        todo += children.get(current, [])
    return total


def lua_script(headers: dict[str, str], post_template: str | None) -> str:
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if post_template is not None:
        # The template as a Lua long string; %s is where the unique first name goes.
        template = post_template.replace("%", "%%").replace('"Bench"', '"%s"')
        lines.append(LUA_POST % {"template": f"[==[{template}]==]"})
    return "\n".join(lines) + LUA_DONE


def run_wrk(wrk: str, url: str, lua: str, args: argparse.Namespace, pid: int | None = None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    cpu = cpu_seconds(pid) if pid else 0.0
    try:
        out = subprocess.run([wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                              "-s", f.name, url], capture_output=True, text=True, timeout=args.duration + 60).stdout
    finally:
        os.unlink(f.name)
    cpu = cpu_seconds(pid) - cpu if pid else 0.0
    found = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if not found:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    result = json.loads(found.group(1))
    return {"rps": result["requests"] / (result["duration_us"] / 1e6), "p50": result["p50_us"] / 1000,
            "p99": result["p99_us"] / 1000, "non2xx": result["non2xx"], "errors": result["socket_errors"],
            "requests": result["requests"], "cpu_ms": 1000 * cpu / max(result["requests"], 1)}
