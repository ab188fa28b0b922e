#!/usr/bin/python3
"""Statistics for marvin_timing's CSV files (one column per class, one row per round).

    analyze.py [--out DIR] [--alpha A] [--baseline CLASS] [--meta FILE] LABEL=CSV...

For each LABEL (a wolfCrypt build), with samples paired by row as the Marvin toolkit's
analysis pairs them:
  - Friedman test across all classes;
  - for every pair of classes: Wilcoxon signed-rank test and sign test on the paired
    differences, the median of those differences with its exact distribution-free 95%
    confidence interval (order statistics of the binomial), and for the pairs with the
    baseline class also a bootstrap 95% interval of the same median;
  - the smallest difference the run could have detected: the half-width of those
    intervals (a median difference larger than it would have put zero outside).
A pair differs when a test's p-value is under alpha divided by the number of pairs
(Bonferroni). Writes DIR/report.md, DIR/report.json and DIR/marvin.png (one row of
panels per LABEL). Needs Debian's python3-scipy, python3-numpy and python3-matplotlib.
"""
import argparse
import json
import os
import sys

import numpy as np
from scipy import stats

BOOTSTRAP_RESAMPLES = 1000


def load(path):
    with open(path) as f:
        names = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if data.shape[1] != len(names):
        sys.exit("%s: %d columns, %d names" % (path, data.shape[1], len(names)))
    return names, data * 1e9  # nanoseconds


def median_ci_exact(d, conf=0.95):
    """Median of d and its distribution-free CI: order statistics k and n-k+1 where k is
    the binomial(n, 1/2) quantile, coverage at least conf."""
    n = len(d)
    k = int(stats.binom.ppf((1 - conf) / 2, n, 0.5))  # 0-based index of the lower bound
    k = max(k - 1, 0)
    lo_i, hi_i = k, n - 1 - k
    part = np.partition(d, [lo_i, n // 2, (n - 1) // 2, hi_i])
    med = 0.5 * (part[n // 2] + part[(n - 1) // 2])
    return float(med), float(part[lo_i]), float(part[hi_i])


def median_ci_bootstrap(d, rng, conf=0.95):
    n = len(d)
    meds = np.empty(BOOTSTRAP_RESAMPLES)
    for i in range(BOOTSTRAP_RESAMPLES):
        meds[i] = np.median(d[rng.integers(0, n, n)])
    lo, hi = np.quantile(meds, [(1 - conf) / 2, 1 - (1 - conf) / 2])
    return float(lo), float(hi)


def analyse(label, names, data, alpha, baseline):
    n, k = data.shape
    rng = np.random.default_rng(14)
    res = {"label": label, "samples": n, "classes": names, "alpha": alpha}
    res["per_class"] = [
        {
            "class": names[j],
            "median_ns": float(np.median(data[:, j])),
            "p25_ns": float(np.percentile(data[:, j], 25)),
            "p75_ns": float(np.percentile(data[:, j], 75)),
            "mean_ns": float(np.mean(data[:, j])),
        }
        for j in range(k)
    ]
    fr = stats.friedmanchisquare(*[data[:, j] for j in range(k)])
    res["friedman"] = {"statistic": float(fr.statistic), "p": float(fr.pvalue)}

    pairs = []
    m = k * (k - 1) // 2
    b = names.index(baseline) if baseline in names else 0
    for i in range(k):
        for j in range(i + 1, k):
            d = data[:, j] - data[:, i]  # positive: class j slower than class i
            nz = d[d != 0]
            w = stats.wilcoxon(nz) if len(nz) else None
            pos, neg = int((d > 0).sum()), int((d < 0).sum())
            sign_p = stats.binomtest(pos, pos + neg, 0.5).pvalue if pos + neg else 1.0
            med, lo, hi = median_ci_exact(d)
            p = {
                "a": names[i],
                "b": names[j],
                "median_diff_ns": med,
                "ci_lo_ns": lo,
                "ci_hi_ns": hi,
                "half_width_ns": (hi - lo) / 2,
                "wilcoxon_p": float(w.pvalue) if w is not None else 1.0,
                "sign_p": float(sign_p),
                "b_slower_fraction": pos / (pos + neg) if pos + neg else 0.5,
            }
            if i == b or j == b:
                p["boot_lo_ns"], p["boot_hi_ns"] = median_ci_bootstrap(d, rng)
            p["differs"] = bool(p["wilcoxon_p"] < alpha / m or p["sign_p"] < alpha / m)
            pairs.append(p)
    res["pairs"] = pairs
    res["bonferroni_threshold"] = alpha / m
    hw = np.array([p["half_width_ns"] for p in pairs])
    res["detectable_ns"] = {"max_half_width": float(hw.max()), "median_half_width": float(np.median(hw))}
    res["min_wilcoxon_p"] = min(p["wilcoxon_p"] for p in pairs)
    res["min_sign_p"] = min(p["sign_p"] for p in pairs)
    res["differing_pairs"] = [(p["a"], p["b"]) for p in pairs if p["differs"]]
    res["verdict"] = (
        "no class differs"
        if res["friedman"]["p"] >= alpha and not res["differing_pairs"]
        else "classes differ"
    )
    res["baseline"] = names[b]
    return res


def fmt_p(p):
    return "%.3g" % p if p >= 1e-300 else "<1e-300"


def report_md(results, meta):
    out = ["# Marvin / ROBOT timing of RSA key transport: results", ""]
    if meta:
        out += ["```", meta.strip(), "```", ""]
    for r in results:
        n, base = r["samples"], r["baseline"]
        out += [
            "## %s: %s" % (r["label"], r["verdict"]),
            "",
            "%d samples per class, %d classes, paired by round. Friedman chi2 = %.2f, p = %s. "
            "Pairwise threshold (Bonferroni over %d pairs): p < %.2g. Smallest Wilcoxon p: %s; "
            "smallest sign-test p: %s."
            % (n, len(r["classes"]), r["friedman"]["statistic"], fmt_p(r["friedman"]["p"]),
               len(r["pairs"]), r["bonferroni_threshold"], fmt_p(r["min_wilcoxon_p"]),
               fmt_p(r["min_sign_p"])),
            "",
            "Smallest detectable difference (95%% CI half-width of the median paired "
            "difference): %.0f ns at most over all pairs, %.0f ns for the median pair."
            % (r["detectable_ns"]["max_half_width"], r["detectable_ns"]["median_half_width"]),
            "",
            "| class | median µs | IQR µs | vs %s: median diff ns [exact 95%% CI] | bootstrap CI "
            "| Wilcoxon p | sign p |" % base,
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for pc in r["per_class"]:
            line = "| %s | %.2f | %.2f |" % (pc["class"], pc["median_ns"] / 1e3,
                                            (pc["p75_ns"] - pc["p25_ns"]) / 1e3)
            if pc["class"] == base:
                line += " (baseline) | | | |"
            else:
                p = next(p for p in r["pairs"] if base in (p["a"], p["b"]) and
                         pc["class"] in (p["a"], p["b"]))
                s = 1 if p["b"] == pc["class"] else -1  # report as class minus baseline
                lo, hi = sorted((s * p["ci_lo_ns"], s * p["ci_hi_ns"]))
                blo, bhi = sorted((s * p["boot_lo_ns"], s * p["boot_hi_ns"]))
                line += " %+.0f [%+.0f, %+.0f] | [%+.0f, %+.0f] | %s | %s |" % (
                    s * p["median_diff_ns"], lo, hi, blo, bhi, fmt_p(p["wilcoxon_p"]),
                    fmt_p(p["sign_p"]))
            out.append(line)
        out += ["", "All pairs (b minus a):", "",
                "| a | b | median diff ns | 95% CI | Wilcoxon p | sign p | differs |",
                "|---|---|---:|---:|---:|---:|---|"]
        for p in r["pairs"]:
            out.append("| %s | %s | %+.0f | [%+.0f, %+.0f] | %s | %s | %s |" % (
                p["a"], p["b"], p["median_diff_ns"], p["ci_lo_ns"], p["ci_hi_ns"],
                fmt_p(p["wilcoxon_p"]), fmt_p(p["sign_p"]), "**yes**" if p["differs"] else "no"))
        out.append("")
    return "\n".join(out)


def plot(results, datas, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(results)
    fig, axes = plt.subplots(rows, 2, figsize=(15, 5.2 * rows), squeeze=False,
                             gridspec_kw={"width_ratios": [1.15, 1]})
    for row, (r, data) in enumerate(zip(results, datas)):
        names = r["classes"]
        ax = axes[row][0]
        # The body of the distribution: preempted samples (a shared machine) make a long
        # tail that would flatten every violin.
        lo, med, top = np.percentile(data, [1, 50, 99])
        hi = min(top, med + 4 * (med - lo))
        clipped = [data[:, j][(data[:, j] >= lo) & (data[:, j] <= hi)] / 1e3 for j in range(len(names))]
        ax.violinplot(clipped, showmedians=True, widths=0.8)
        ax.set_xticks(range(1, len(names) + 1))
        ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("key exchange time, µs (body; tail cut)")
        ax.set_title("%s: time per class, %d samples each" % (r["label"], r["samples"]))
        ax.grid(axis="y", alpha=0.3)

        ax = axes[row][1]
        base = r["baseline"]
        ys, los, his, labels = [], [], [], []
        for c in names:
            if c == base:
                continue
            p = next(p for p in r["pairs"] if base in (p["a"], p["b"]) and c in (p["a"], p["b"]))
            s = 1 if p["b"] == c else -1
            lo_, hi_ = sorted((s * p["ci_lo_ns"], s * p["ci_hi_ns"]))
            ys.append(s * p["median_diff_ns"])
            los.append(ys[-1] - lo_)
            his.append(hi_ - ys[-1])
            labels.append(c)
        x = np.arange(len(labels))
        ax.errorbar(x, ys, yerr=[los, his], fmt="o", capsize=4)
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("median paired difference vs %s, ns (95%% CI)" % base)
        ax.set_title("%s: Friedman p = %s, %s" % (r["label"], fmt_p(r["friedman"]["p"]), r["verdict"]))
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", metavar="LABEL=CSV")
    ap.add_argument("--out", default=".")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--baseline", default="valid_48")
    ap.add_argument("--meta")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    results, datas = [], []
    for item in a.inputs:
        label, _, path = item.partition("=")
        if not path:
            ap.error("inputs are LABEL=CSV")
        names, data = load(path)
        if data.shape[0] < 10:
            sys.exit("%s: only %d rows" % (path, data.shape[0]))
        results.append(analyse(label, names, data, a.alpha, a.baseline))
        datas.append(data)
    meta = open(a.meta).read() if a.meta and os.path.exists(a.meta) else ""
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = report_md(results, meta)
    with open(os.path.join(a.out, "report.md"), "w") as f:
        f.write(md + "\n")
    plot(results, datas, os.path.join(a.out, "marvin.png"))
    for r in results:
        print("%s: %s (Friedman p = %s, min Wilcoxon p = %s, min sign p = %s, "
              "detectable <= %.0f ns)" % (r["label"], r["verdict"], fmt_p(r["friedman"]["p"]),
                                         fmt_p(r["min_wilcoxon_p"]), fmt_p(r["min_sign_p"]),
                                         r["detectable_ns"]["max_half_width"]))
    print("wrote %s/report.md, report.json, marvin.png" % a.out)


if __name__ == "__main__":
    main()
