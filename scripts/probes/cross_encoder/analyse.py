"""Analyse scores_<tag>.json: AUCs, evidence hit rate, thresholds, timing. Usage: python analyse.py main"""
from paths import OUT, ROOT  # noqa: E402  (the repository, the output folder)
import json, sys, collections
import numpy as np
from sklearn.metrics import roc_auc_score

tag = sys.argv[1] if len(sys.argv) > 1 else "main"
R = json.load(open(OUT / f"scores_{tag}.json"))
D = json.load(open(str(OUT / "pairs.json")))
ENG = json.load(open(str(OUT / "pa_dev_engine.json")))
sig = lambda x: 1 / (1 + np.exp(-x))
out = []
P = lambda *a: (print(*a), out.append(" ".join(str(x) for x in a)))


def table(name):
    rows = []
    for it in D[name]["items"]:
        s = np.array(R["scores_" + name][it["id"]])
        rows.append(dict(id=it["id"], type=it["type"], ans=it["answerable"], hist=it["has_history"],
                         ce_max=float(s.max()), ce_top=it["top"][int(s.argmax())], bi_top=it["top"][0],
                         gold=set(it["gold"]), cos_max=it["cos"][0]))
    return rows


def best_thr(y, x):
    # threshold maximizing balanced accuracy (mean of TPR and TNR); decline if x < thr
    cands = np.unique(x)
    best = (-1, None)
    for t in cands:
        tpr = np.mean(x[y == 1] >= t); tnr = np.mean(x[y == 0] < t)
        if (tpr + tnr) / 2 > best[0]:
            best = ((tpr + tnr) / 2, t)
    return best[1]


def decline_stats(y, x, t):
    return float(np.mean(x[y == 0] < t)), float(np.mean(x[y == 1] < t))


P(f"## run {tag}: epochs={R['epochs']} lr={R['lr']} pairs={R['n_pairs']} (pos {R['npos']:.0f} / neg {R['nneg']:.0f}) "
  f"train wall {R['train_wall_s']/60:.1f} min")
P("curve:", R["curve"][::4] + [R["curve"][-1]])

# ---- validation article (upland-fibre, never trained on) -> threshold
V = table("upland-fibre")
yv = np.array([r["ans"] for r in V], int); xv = np.array([r["ce_max"] for r in V])
thr = best_thr(yv, xv)
P(f"\n### upland-fibre (out-of-article validation, n={len(V)}, answerable={yv.sum()})")
P(f"AUC CE max = {roc_auc_score(yv, xv):.3f}; AUC bi-encoder top cos = {roc_auc_score(yv, [r['cos_max'] for r in V]):.3f}")
P(f"chosen threshold (max balanced acc on upland) logit={thr:.3f} (sigmoid {sig(thr):.3f})")
hv = [r for r in V if r["ans"] and r["gold"]]
P(f"evidence hit@1: CE {np.mean([r['ce_top'] in r['gold'] for r in hv]):.3f}  bi-encoder {np.mean([r['bi_top'] in r['gold'] for r in hv]):.3f}  (n={len(hv)})")

# ---- port-ardley dev
T = table("port-ardley")
for subset_name, filt in [("all 80", lambda r: True),
                          ("excluding other_language", lambda r: r["type"] != "other_language"),
                          ("excluding other_language and history rows", lambda r: r["type"] != "other_language" and not r["hist"])]:
    S = [r for r in T if filt(r)]
    y = np.array([r["ans"] for r in S], int)
    x = np.array([r["ce_max"] for r in S])
    conf = np.array([ENG[r["id"]]["confidence"] for r in S])
    comb = (conf + sig(x)) / 2
    P(f"\n### port-ardley dev, {subset_name}: n={len(S)}, answerable={y.sum()}, unanswerable={len(S)-y.sum()}")
    P(f"a. AUC CE max = {roc_auc_score(y, x):.3f}   (bi-encoder top cos AUC = {roc_auc_score(y, [r['cos_max'] for r in S]):.3f})")
    P(f"c. AUC engine confidence = {roc_auc_score(y, conf):.3f};  AUC mean(engine conf, sigmoid(CE max)) = {roc_auc_score(y, comb):.3f}")
    h = [r for r in S if r["ans"] and r["gold"]]
    P(f"b. evidence hit@1 among answerable (n={len(h)}): CE top {np.mean([r['ce_top'] in r['gold'] for r in h]):.3f}  "
      f"bi-encoder top-1 {np.mean([r['bi_top'] in r['gold'] for r in h]):.3f}  "
      f"(gold in bi top-8: {np.mean([bool(r['gold'] & set(next(i['top'] for i in D['port-ardley']['items'] if i['id']==r['id']))) for r in h]):.3f})")
    eng_sent_hit = []
    sents = D["port-ardley"]["sents"]
    for r in h:
        es = ENG[r["id"]].get("sentence") or ""
        eng_sent_hit.append(any(es.strip() and (es.strip() in sents[g] or sents[g] in es) for g in r["gold"]))
    P(f"   engine chosen sentence contains gold: {np.mean(eng_sent_hit):.3f}")
    ud, ad = decline_stats(y, x, thr)
    P(f"d. threshold from upland-fibre (logit {thr:.2f}): unanswerable declined {ud:.2f}, answerable wrongly declined {ad:.2f}")
    ud5, ad5 = decline_stats(y, x, 0.0)
    P(f"   fixed sigmoid 0.5 (logit 0): unanswerable declined {ud5:.2f}, answerable wrongly declined {ad5:.2f}")
    tb = best_thr(y, x); ub, ab = decline_stats(y, x, tb)
    P(f"   best possible on PA dev (OPTIMISTIC, logit {tb:.2f}): unanswerable declined {ub:.2f}, answerable wrongly declined {ab:.2f}")
    tbe = best_thr(y, conf); ube, abe = decline_stats(y, conf, tbe)
    P(f"   engine conf best possible (OPTIMISTIC, {tbe:.3f}): unanswerable declined {ube:.2f}, answerable wrongly declined {abe:.2f}")
    abst = np.array([ENG[r["id"]]["abstained"] for r in S])
    P(f"   engine's own abstentions: unanswerable declined {abst[y==0].mean():.2f}, answerable declined {abst[y==1].mean():.2f}")

P("\n### per-type CE max (sigmoid), port-ardley dev all")
by = collections.defaultdict(list)
for r in T:
    by[(r["type"], r["ans"])].append(sig(r["ce_max"]))
for k in sorted(by):
    P(f"  {k[0]:<16} answerable={k[1]!s:<5} n={len(by[k]):>2} mean={np.mean(by[k]):.2f} declined@thr={np.mean(np.array(by[k]) < sig(thr)):.2f}")

P("\n### unanswerable PA questions, CE max sigmoid, top CE sentence (first 90 chars)")
qs = {it["id"]: it["q"] for it in D["port-ardley"]["items"]}
for r in sorted([r for r in T if not r["ans"]], key=lambda r: -r["ce_max"]):
    P(f"  {sig(r['ce_max']):.2f} eng={ENG[r['id']]['confidence']:.2f} [{r['type']}] {qs[r['id']][:70]!r} -> {D['port-ardley']['sents'][r['ce_top']][:90]!r}")

t = np.array(R["cpu_s_port-ardley"] + R["cpu_s_upland-fibre"])
P(f"\ne. CPU time to score 8 pairs (1 thread): median {np.median(t)*1000:.0f} ms, p90 {np.percentile(t,90)*1000:.0f} ms over {len(t)} questions")
open(OUT / f"analysis_{tag}.txt", "w").write("\n".join(out) + "\n")
