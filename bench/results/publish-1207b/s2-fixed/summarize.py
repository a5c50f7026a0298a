import json,sys,re,os
here=os.path.dirname(os.path.abspath(__file__))
for l in sys.argv[1:] or ['base1','base2','base3','main1','main2','order1','order2','order3']:
    a=json.load(open(f'{here}/{l}.a.json')); b=json.load(open(f'{here}/{l}.b.json'))
    log=open(f'{here}/{l}.txt').read()
    def m(k):
        r=re.search(r'(?<![\w@])'+re.escape(k)+r'=([\d,\.]+)',log); return float(r.group(1).replace(',','')) if r else None
    d=m('deliveries@fixed')
    print(f"{l}: us/delivery@fixed {m('us_per_delivery@fixed')}  alloc B/delivery@fixed {(b['allocatedBytes']-a['allocatedBytes'])/d:.1f}  pool items/delivery@fixed {(b['completedWorkItems']-a['completedWorkItems'])/d:.3f}  contentions/1k {1000*(b['lockContentions']-a['lockContentions'])/d:.2f}  p99 {m('p99_ms@fixed')}")
