"""Checks what `dotnet pack` made, as a package consumer sees it: one "ok NAME" / "not ok NAME: why"
line per check. Usage: python3 check_packages.py <feed folder> <version> <package id>..."""
import sys
import zipfile
import xml.etree.ElementTree as ET

feed, version, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
failed = 0


def check(name, ok, why=""):
    global failed
    print(f"ok {name}" if ok else f"not ok {name}: {why}")
    failed += 0 if ok else 1


for pid in ids:
    path = f"{feed}/{pid}.{version}.nupkg"
    try:
        pkg = zipfile.ZipFile(path)
    except OSError as err:
        check(f"{pid} nupkg", False, str(err))
        continue
    names = set(pkg.namelist())
    root = ET.fromstring(pkg.read(f"{pid}.nuspec"))
    ns = {"n": root.tag.split("}")[0].strip("{")}
    meta = root.find("n:metadata", ns)

    def text(tag):
        node = meta.find(f"n:{tag}", ns)
        return (node.text or "").strip() if node is not None else ""

    license = meta.find("n:license", ns)
    repository = meta.find("n:repository", ns)
    problems = []
    if text("description") in ("", "Package Description"):
        problems.append(f"description {text('description')!r}")
    if text("authors") != "Switchboard contributors":
        problems.append(f"authors {text('authors')!r}")
    if license is None or license.get("type") != "expression" or license.text != "MIT":
        problems.append("license is not the MIT expression")
    if text("readme") != "README.md" or "README.md" not in names:
        problems.append("no packed README.md")
    if not text("tags"):
        problems.append("no tags")
    if repository is None or repository.get("type") != "git" or not repository.get("commit"):
        problems.append("no git repository commit")
    check(f"{pid} metadata", not problems, "; ".join(problems))

    lib = f"lib/net10.0/{pid}"
    missing = [n for n in (f"{lib}.dll", f"{lib}.xml") if n not in names]
    check(f"{pid} assembly and XML docs", not missing, f"missing {missing}")

    try:
        symbols = set(zipfile.ZipFile(f"{feed}/{pid}.{version}.snupkg").namelist())
    except OSError as err:
        symbols = set()
    check(f"{pid} snupkg with pdb", f"{lib}.pdb" in symbols, "no snupkg or no pdb in it")

sys.exit(1 if failed else 0)
