import json,sys
for l in sys.stdin:
    try: d=json.loads(l)
    except Exception: print(l.strip()[:300]); continue
    r=d['r']
    if 'error' in r: print(d['label'],'error'); continue
    print(d['label'], {k:r.get(k) for k in ('cpu_us_per_echo','rtt_p50','rtt_p99','rtt_p999','gc')}, 'stalls>5ms', len(r['stalls']), r['stalls'][:12])
