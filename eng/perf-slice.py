# Slices a system-wide `perf record -a` of an e2e run by the PHASE lines the benchmark prints (see eng/perf-e2e.sh) and prints,
# per phase, the CPU-seconds of the benchmark process (by library and top symbols), of the S3 server (Ceph RGW + OSD threads),
# of everything else, and idle time.
import collections
import re
import subprocess
import sys

data, out = sys.argv[1], sys.argv[2]
HZ = 999.0

phases = []  # (name#n, start s, end s) on CLOCK_MONOTONIC, which perf's timestamps follow
for line in open(out):
    if line.startswith("PHASE "):
        _, name, start, end = line.split()
        n = sum(1 for p in phases if p[0].startswith(name + "#")) + 1
        phases.append((f"{name}#{n}", int(start) / 1e9, int(end) / 1e9))

script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,tid,time,ip,sym,dso"], capture_output=True, text=True).stdout
sample = re.compile(r"\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+\S+\s+(.*?)\s+\((.*)\)\s*$")
ceph = re.compile(r"^(radosgw|ceph|tp_|bstore|rados|msgr|io_context|rgw|civetweb|beast|safe_timer|fn_|log$|OpHistory|finisher|ms_|admin_socket|"
                  r"signal|notif|lifecycle|rocksdb|bluestore|cfin|osd_srv|wp_thrd|data-notif|RequestBuilder)")
rows = [m.groups() for m in map(sample.match, script.splitlines()) if m]
bench = collections.Counter(pid for comm, pid, *_ in rows if comm.startswith("Hds.Storage.Ben")).most_common(1)[0][0]

groups = collections.defaultdict(collections.Counter)
symbols = collections.defaultdict(collections.Counter)
for comm, pid, _tid, time, sym, dso in rows:
    t = float(time)
    phase = next((name for name, a, b in phases if a <= t <= b), None)
    if phase is None:
        continue
    if pid == bench:
        lib = dso.split("/")[-1]
        lib = "managed (JIT code)" if lib.startswith("perf-") or lib.startswith("memfd") else lib
        groups[phase]["client"] += 1
        groups[phase]["client: " + lib] += 1
        symbols[phase][(sym if sym != "[unknown]" else lib)[:100]] += 1
    elif comm == "swapper":
        groups[phase]["idle"] += 1
    elif ceph.match(comm):
        groups[phase]["S3 server (RGW + OSD)"] += 1
    else:
        groups[phase]["other processes"] += 1

print(f"benchmark process {bench}; CPU-seconds per phase (2 cores: wall x 2 available)")
for name, a, b in phases:
    c = groups[name]
    print(f"== {name}: {b - a:.2f} s wall | client {c['client'] / HZ:.2f} | S3 server {c['S3 server (RGW + OSD)'] / HZ:.2f} | "
          f"other {c['other processes'] / HZ:.2f} | idle {c['idle'] / HZ:.2f}")
    for key, v in c.most_common():
        if key.startswith("client: ") and v / HZ >= 0.01:
            print(f"     {v / HZ:6.2f}  {key}")
    for s, v in symbols[name].most_common(8):
        print(f"        {v / HZ:6.2f}  {s}")
