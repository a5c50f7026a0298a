import glob,collections,re,os,sys
rows=collections.defaultdict(list)
for f in sorted(glob.glob(os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)), '*-s*.tsv'))):
    m=re.search(r'/(main|order)-s(\d+)\.tsv',f); build,subs=m.group(1),int(m.group(2))
    for line in open(f):
        if line[0] in '#r' : continue
        p=line.split('\t')
        if len(p)<13: continue
        n=int(p[1]); layout=p[2]
        rows[(build,subs,n,layout)].append(dict(pps=float(p[3]),cpu=float(p[5]),waits=float(p[6]),cont=float(p[7]),pool=float(p[8]),wait_us=float(p[9]),waitpct=float(p[10]),call=float(p[11]),bytes=float(p[12])))
def rng(v): 
    v=sorted(v); return f"{v[0]:.2f}–{v[-1]:.2f}" if len(v)>1 and abs(v[0]-v[-1])>0.005 else f"{v[0]:.2f}"
for subs in (0,10,1000):
  print(f"## subscribers {subs}")
  print("build N | cpu one | cpu each | waits% one | waiting% one | pool/pub one | bytes one | cont/1k one | call one | call each | pps one | pps each")
  for build in ('main','order'):
    for n in (1,2,4,8):
      o=rows.get((build,subs,n,'one-namespace'),[]); e=rows.get((build,subs,n,'namespace-each'),[])
      if not o: continue
      print(build,n,'|',rng([r['cpu'] for r in o]),'|',rng([r['cpu'] for r in e]),'|',rng([r['waits'] for r in o]),'|',rng([r['waitpct'] for r in o]),'|',rng([r['pool'] for r in o]),'|',rng([r['bytes'] for r in o]),'|',rng([r['cont'] for r in o]),'|',rng([r['call'] for r in o]),'|',rng([r['call'] for r in e]),'|',rng([r['pps']/1000 for r in o]),'|',rng([r['pps']/1000 for r in e]))
