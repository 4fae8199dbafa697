"""Plain NumPy/Python twins of the C kernels, written for clarity rather than speed.

Each function takes the arguments of the kernel it mirrors (after option resolution) and returns
what it returns. Tests run kernel and twin on the same inputs; benchmarks use the twins as a
"naive but vectorised" baseline. Masked positions are removed with np.where before any
arithmetic, which is the stance of the C core (they never influence results).
"""

from __future__ import annotations

import math
import re

import numpy as np


# ------------------------------------------------------------------------------ advantages


def _group_index(n: int, group_ids, group_size: int) -> np.ndarray:
    return np.asarray(group_ids, dtype=np.int64) if group_ids is not None else np.arange(n) // group_size


@np.errstate(divide="ignore", invalid="ignore", over="ignore")   # torch's silent inf/NaN arithmetic
def group_stats(rewards, group_ids, group_size, num_groups):
    """Per-group (count, sum, M2) of the non-NaN rewards; twin of ``_core.group_stats``."""
    r = np.asarray(rewards, dtype=np.float64)
    g = _group_index(r.shape[0], group_ids, group_size)
    ok = ~np.isnan(r)
    count = np.bincount(g[ok], minlength=num_groups).astype(np.int64)
    total = np.bincount(g[ok], weights=r[ok], minlength=num_groups)
    mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    m2 = np.bincount(g[ok], weights=(r[ok] - mean[g[ok]]) ** 2, minlength=num_groups)
    return count, total, m2


@np.errstate(divide="ignore", invalid="ignore", over="ignore")   # torch's silent inf/NaN arithmetic
def group_advantages(rewards, group_ids, group_size, num_groups, count, total, m2, lengths,
                     estimator, scale, std_mode, singleton, eps, ddof):
    """Twin of ``_core.group_advantages`` (integer option codes as in grpo.h)."""
    r = np.asarray(rewards, dtype=np.float64)
    n = r.shape[0]
    g = _group_index(n, group_ids, group_size)
    if count is None:
        count, total, m2 = group_stats(r, group_ids, group_size, num_groups)
    count = np.asarray(count)

    def std_of(c, q):
        var = np.where(c - ddof > 0, q / np.maximum(c - ddof, 1), np.nan)
        return np.sqrt(np.maximum(var, eps)) if std_mode == 1 else np.sqrt(var)

    raw_single = (count == 1) & (singleton == 1)
    centre = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    centre = np.where(raw_single, 0.0, centre)
    std = np.where(raw_single, 1.0, std_of(count, m2))
    if scale == 1:
        bc, bs = count.sum(), total.sum()
        bmean = bs / bc if bc else 0.0
        gmean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        bm2 = m2.sum() + (count * (gmean - bmean) ** 2).sum()
        std = np.full_like(std, std_of(np.array(bc), np.array(bm2)))
    if estimator == 0:
        a = r - centre[g]
        if scale != 2:
            a = a / (std[g] + eps)
    elif estimator == 1:
        c = count[g]
        a = np.where(c == 1, r if singleton == 1 else 0.0, (c * r - total[g]) / np.maximum(c - 1, 1))
    elif estimator == 3:
        nonzero = np.count_nonzero(~np.isnan(r) & (r != 0))
        alpha = n / max(1, nonzero)
        a = np.where((count[g] == 1) & (singleton == 0), 0.0, alpha * (r - centre[g]))
    elif estimator == 2:
        ln = np.asarray(lengths, dtype=np.float64)
        ok = ~np.isnan(r)
        wsum = np.bincount(g[ok], weights=(ln * r)[ok], minlength=num_groups)
        lsum = np.bincount(g[ok], weights=ln[ok], minlength=num_groups)
        base = np.where(lsum != 0, wsum / np.where(lsum != 0, lsum, 1), 0.0)
        a = np.where(count[g] == 1, r if singleton == 1 else 0.0, r - base[g])
    else:
        a = np.zeros(n)
        for grp in range(num_groups):
            rows = [i for i in np.flatnonzero(g == grp) if not np.isnan(r[i])]
            if len(rows) < 2:
                continue
            order = sorted(rows, key=lambda i: (-r[i], i))
            margin = r[order[0]] - r[order[1]]
            a[order[0]] = margin / (std[grp] + eps) if scale != 2 else margin
    a = np.nan_to_num(a, nan=0.0)
    # an infinite reward poisons every statistic it enters, as in torch: NaN, never a silent 0
    infinite = ~np.isfinite(np.asarray(total, dtype=np.float64))
    poisoned = np.full(n, infinite.any()) if scale == 1 else infinite[g]
    a[poisoned & ~np.isnan(r)] = np.nan
    return a


@np.errstate(divide="ignore", invalid="ignore", over="ignore")   # torch's silent inf/NaN arithmetic
def whiten_tokens(advantages, mask, ddof, eps, eps_is_floor):
    """Twin of ``_core.whiten_tokens``."""
    m = np.asarray(mask).astype(bool)
    x = np.where(m, np.asarray(advantages, dtype=np.float64)[:, None], 0.0)
    tokens = m.sum()
    mean = x.sum() / tokens if tokens > 0 else 0.0
    var = (np.where(m, x - mean, 0.0) ** 2).sum() / tokens if tokens > 0 else 0.0
    if ddof == 1:
        if tokens < 2:
            raise ValueError("whiten_tokens: the unbiased variance needs two tokens")
        var = var * tokens / (tokens - 1)
    inv = 1.0 / math.sqrt(max(var, eps) if eps_is_floor else var + eps)
    return np.where(m, (x - mean) * inv, 0.0)


# ------------------------------------------------------------------------------ log-probs


@np.errstate(invalid="ignore", over="ignore")   # -inf logits (banned tokens) and NaN rows, silently
def logprobs(logits, ids, temperature, want_entropy):
    """Twin of ``_core.logprobs``: (logp, entropy or None, row_stats) in float64."""
    x = np.asarray(logits, dtype=np.float64)
    mx = x.max(axis=1)
    d = (x - mx[:, None]) / temperature
    e = np.exp(d)
    s1 = e.sum(axis=1)
    mean = np.where(e > 0, e * d, 0.0).sum(axis=1) / s1   # a -inf logit weighs nothing
    logp = d[np.arange(x.shape[0]), np.asarray(ids)] - np.log(s1)
    stats = np.stack([mx, np.log(s1), mean], axis=1)
    return logp, (np.log(s1) - mean) if want_entropy else None, stats


@np.errstate(invalid="ignore", over="ignore")
def logprobs_backward(logits, ids, dlogp, dentropy, temperature):
    """Twin of ``_core.logprobs_backward`` (the row statistics recomputed): dlogits in float64."""
    x = np.asarray(logits, dtype=np.float64)
    _, _, stats = logprobs(x, ids, temperature, False)
    d = (x - stats[:, :1]) / temperature
    p = np.exp(d - stats[:, 1:2])
    n = x.shape[0]
    gl = np.zeros(n) if dlogp is None else np.asarray(dlogp, np.float64)
    gh = np.zeros(n) if dentropy is None else np.asarray(dentropy, np.float64)
    out = np.where(p > 0, -p * (gl[:, None] + gh[:, None] * (d - stats[:, 2:3])), 0.0)
    out[np.arange(n), np.asarray(ids)] += gl
    return out / temperature


# ------------------------------------------------------------------------------ policy loss


def _clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _row_weights(mode, denominator, scale, n, b, t):
    """Per-token weight of each row's unmasked tokens under an aggregation: its name, its
    denominator (None, D, or ("per_row", L) for B * L) and its scale."""
    nonempty = float((n > 0).sum())
    if isinstance(denominator, tuple):
        den = b * denominator[1]
    elif denominator is None:
        den = {"token_mean": float(n.sum()), "token_sum_norm": float(t), "seq_mean_token_mean": nonempty,
               "seq_mean_token_mean_all_rows": float(b), "seq_mean_token_sum": nonempty,
               "length_weighted": float(b * t), "seq_mean_token_sum_norm": nonempty}[mode]
    else:
        den = denominator
    if mode == "seq_mean_token_sum_norm":
        den *= t
    den = den if den > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "seq_mean_token_mean":
            w = np.where(n > 0, 1.0 / (n * den), 0.0)
        elif mode == "seq_mean_token_mean_all_rows":
            w = 1.0 / (np.maximum(n, 1) * den)
        elif mode in ("seq_mean_token_sum", "seq_mean_token_sum_norm"):
            w = np.where(n > 0, 1.0 / den, 0.0)
        elif mode == "length_weighted":
            w = n / den
        else:
            w = np.full(n.shape, 1.0 / den)
    return w * scale


_RATIO_LEVELS = ("token", "sequence", "sequence_token")
_SURROGATES = ("ppo", "cispo", "sapo", "reinforce", "vespo", "gmpo", "dppo_tv", "dppo_kl", "dro", "kl_cov")
_IS_LEVELS = (None, "token", "sequence", "sequence_mask")
_KL_ESTIMATORS = ("k1", "abs", "k2", "k3")


@np.errstate(divide="ignore", invalid="ignore", over="ignore")   # torch's silent inf/NaN arithmetic
def policy_loss(logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights, policy_mask, *,
                ratio_level, surrogate, clip_low, clip_high, dual_clip, delta, log_ratio_clamp,
                cispo_bounds, sapo_tau, vespo_k, vespo_lambda, is_level, is_mode, is_bounds,
                is_log_clamp, off_policy_threshold, kl_coef, kl_estimator, kl_straight_through,
                kl_ratio_weighted, kl_log_clamp, kl_value_clamp, aggregation, denominator, scale,
                kl_aggregation, kl_denominator, kl_scale, skip_ratio_metrics=False,
                ppo_kl_raw=False, dro_beta=0.0, kl_cov_coef=0.0, kl_grad_is_cap=None):
    """Twin of ``_core.policy_loss``: returns (metrics, grad, per_token) for the same neutral
    options (as ``_core.loss_options`` takes them: names, pairs, None for off).

    The derivative conventions are PyTorch's: min/max ties split half and half, clamps pass the
    gradient at their bounds.
    """
    ratio_level = _RATIO_LEVELS.index(ratio_level)
    surrogate = _SURROGATES.index(surrogate)
    is_level = _IS_LEVELS.index(is_level)
    kl_estimator = _KL_ESTIMATORS.index(kl_estimator)
    eps_low, eps_high = clip_low, clip_high
    dual_clip = dual_clip or 0.0
    delta = delta or 0.0
    log_ratio_min, log_ratio_max = log_ratio_clamp
    cispo_min, cispo_max = cispo_bounds
    sapo_tau_pos, sapo_tau_neg = sapo_tau
    vespo_k_pos, vespo_k_neg = vespo_k
    vespo_lambda_pos, vespo_lambda_neg = vespo_lambda
    is_mask = is_mode == "mask"
    is_min, is_max = is_bounds
    is_log_clamp = math.inf if is_log_clamp is None else is_log_clamp
    opsm_threshold = math.nan if off_policy_threshold is None else off_policy_threshold
    kl_log_clamp = math.inf if kl_log_clamp is None else kl_log_clamp
    kl_value_clamp = math.inf if kl_value_clamp is None else kl_value_clamp
    m = np.asarray(mask).astype(bool)
    b, t = m.shape
    z = lambda x: np.where(m, np.asarray(x, dtype=np.float64), 0.0)  # noqa: E731
    l = z(logp)
    o = l if old_logp is None else z(old_logp)
    a = np.asarray(advantages, dtype=np.float64)
    a = z(a) if a.ndim == 2 else np.broadcast_to(a[:, None], (b, t))
    n = m.sum(axis=1).astype(np.float64)
    ln = np.maximum(n, 1.0)
    x = l - o
    v = None if rollout_logp is None else z(rollout_logp)

    # sequence quantities
    seq_level = ratio_level == 1 or surrogate == 5
    if surrogate == 5:  # GMPO sign-aware log-space clip
        s = np.sign(a)
        xc = _clip(x, -eps_low, eps_high)
        xstar = s * np.minimum(s * x, s * xc)
        gx = np.where((s != 0) & (s * x <= s * xc), 1.0, 0.0)
        seq_len = np.maximum(n, 1)
        u = np.where(m, xstar, 0.0).sum(1) / seq_len
        a = np.broadcast_to((np.where(m, a, 0.0).sum(1) / seq_len)[:, None], (b, t))
    else:
        gx = np.ones_like(x)
        seq_len = ln
        u = np.where(m, x, 0.0).sum(1) / ln
    u_pass = np.ones(b)
    if ratio_level != 0:
        u_pass = ((u >= log_ratio_min) & (u <= log_ratio_max)).astype(float)
        u = _clip(u, log_ratio_min, log_ratio_max)
    if ratio_level != 0 or surrogate == 5:
        ratio = np.broadcast_to(np.exp(u)[:, None], (b, t))
        ratio_pass = np.broadcast_to(u_pass[:, None], (b, t))
    else:
        ratio = np.exp(_clip(x, log_ratio_min, log_ratio_max))
        ratio_pass = ((x >= log_ratio_min) & (x <= log_ratio_max)).astype(float)

    # detached multipliers
    def is_w(log_rho):
        rho = np.exp(_clip(log_rho, -is_log_clamp, is_log_clamp))
        return np.where((rho >= is_min) & (rho <= is_max), rho, 0.0) if is_mask else _clip(rho, is_min, is_max)

    rho = np.ones((b, t))
    if is_weights is not None:
        w = np.asarray(is_weights, dtype=np.float64)
        rho = rho * (z(w) if w.ndim == 2 else w[:, None])
    log_rho = o - v if v is not None else None
    if is_level == 1:
        rho = rho * is_w(log_rho)
    elif is_level == 2:
        rho = rho * is_w(np.where(m, log_rho, 0.0).sum(1))[:, None]
    elif is_level == 3:
        seq = np.exp(np.where(m, log_rho, 0.0).sum(1) / ln)
        rho = rho * np.exp(log_rho) * ((seq >= is_min) & (seq <= is_max))[:, None]
    phi = np.ones(b)
    if surrogate == 4:
        log_w = np.where(m, _clip(x, -20.0, 20.0), 0.0).sum(1)
        if is_level == 1:
            log_w = log_w + np.where(m, _clip(np.log(is_w(log_rho)), math.log(1e-8), 20.0), 0.0).sum(1)
        elif is_level == 2:
            log_w = log_w + _clip(np.log(is_w(np.where(m, log_rho, 0.0).sum(1))), math.log(1e-8), 20.0)
        log_w = _clip(log_w, math.log(1e-8), 20.0)
        pos = np.asarray(advantages, dtype=np.float64) >= 0
        k = np.where(pos, vespo_k_pos, vespo_k_neg)
        lam = np.maximum(np.where(pos, vespo_lambda_pos, vespo_lambda_neg), 1e-4)
        phi = np.exp(lam + k * log_w - lam * np.exp(log_w))
        phi = np.where(np.isfinite(phi), phi, 0.0)
        rho = np.ones((b, t)) if is_weights is None else np.broadcast_to(
            z(is_weights) if np.ndim(is_weights) == 2 else np.asarray(is_weights, float)[:, None], (b, t))
    keep = np.ones((b, t))
    penalised = np.zeros((b, t), bool)
    if policy_mask is not None:
        keep = keep * np.asarray(policy_mask).astype(bool)
        penalised = np.asarray(policy_mask) == 2
    if not math.isnan(opsm_threshold):
        drift = np.where(m, (v if v is not None else o) - l, 0.0).sum(1) / ln
        keep = keep * ((drift <= opsm_threshold)[:, None] | (a >= 0))
    p = rho * keep

    # surrogate value and derivatives
    low = high = clipped = dual = cispo = np.zeros((b, t), bool)
    d_logp = np.zeros((b, t))
    d_ratio = np.zeros((b, t))
    if surrogate == 0:
        lo, hi = 1 - eps_low, 1 + eps_high
        c2 = _clip(ratio, lo, hi)
        dc2 = ((ratio >= lo) & (ratio <= hi)).astype(float)
        capped = (delta > 0) & (ratio > delta)
        c1 = np.where(capped, delta, ratio)
        dc1 = np.where(capped, 0.0, 1.0)
        v1, v2 = c1 * a, c2 * a
        w1 = np.where(v1 < v2, 1.0, np.where(v1 == v2, 0.5, 0.0))
        loss = -np.minimum(v1, v2)
        d_ratio = -(w1 * dc1 + (1 - w1) * dc2) * a
        if dual_clip > 0:
            cap = -a * dual_clip
            on = a < 0
            dual = on & (loss > cap)
            d_ratio = np.where(on & (cap < loss), 0.0, np.where(on & (cap == loss), 0.5 * d_ratio, d_ratio))
            loss = np.where(on & (cap < loss), cap, loss)
        low, high, clipped = (ratio < lo) & (a < 0), (ratio > hi) & (a > 0), v2 < v1
    elif surrogate == 1:
        wc = _clip(ratio, cispo_min, cispo_max)
        loss, d_logp = -wc * a * l, -wc * a
        cispo = high = (ratio > cispo_max) & (a > 0)
        low = (ratio < cispo_min) & (a < 0)
        clipped = (ratio > cispo_max) | (ratio < cispo_min)
    elif surrogate == 2:
        tau = np.where(a > 0, sapo_tau_pos, sapo_tau_neg)
        gate = 1.0 / (1.0 + np.exp(-tau * (ratio - 1.0)))
        loss, d_ratio = -gate * 4.0 / tau * a, -a * 4.0 * gate * (1.0 - gate)
    elif surrogate == 3:
        loss, d_logp = -a * l, -a
    elif surrogate == 4:
        loss, d_logp = -phi[:, None] * a * l, -phi[:, None] * a
    elif surrogate in (6, 7):
        prob, old_prob = np.exp(l), np.exp(o)
        if surrogate == 6:
            valid = np.where(a > 0, prob - old_prob <= eps_high, prob - old_prob >= -eps_low)
        else:
            binary_kl = old_prob * (o - l) + (1 - old_prob) * np.log((1 - old_prob + 1e-8) / (1 - prob + 1e-8))
            valid = np.where(a > 0, (binary_kl <= eps_high) | (prob <= old_prob),
                             (binary_kl <= eps_low) | (prob >= old_prob))
        wc = np.where(valid, _clip(ratio, cispo_min, cispo_max), 0.0)
        loss, d_logp = -wc * a * l, -wc * a
        clipped, dual = ~valid, valid & (ratio > cispo_max)
    elif surrogate == 8:
        loss, d_logp = -(l * a - 0.5 * dro_beta * x * x), -(a - dro_beta * x)
    elif surrogate == 9:
        loss = -a * ratio + np.where(penalised, kl_cov_coef * np.abs(x), 0.0)
        d_ratio, d_logp = -a, np.where(penalised, kl_cov_coef * np.sign(x), 0.0)
    else:
        loss, d_ratio = -a * ratio, -a
        a_tok = z(advantages) if np.ndim(advantages) == 2 else np.broadcast_to(
            np.asarray(advantages, float)[:, None], (b, t))
        outside = (x < -eps_low) | (x > eps_high)
        clipped, dual = outside & (a_tok > 0), outside & (a_tok < 0)

    wp = _row_weights(aggregation, denominator, scale, n, b, t)[:, None]
    wk = _row_weights(kl_aggregation, kl_denominator, kl_scale, n, b, t)[:, None]
    grad = wp * p * d_logp
    seq_acc = np.zeros(b)
    if seq_level:
        seq_acc += np.where(m, wp * p * d_ratio, 0.0).sum(1)
    else:
        grad = grad + wp * p * d_ratio * ratio * ratio_pass
    per_token = p * loss
    kl_vals = np.zeros((b, t))
    if kl_coef != 0:
        d = l - z(ref_logp)
        dc = _clip(d, -kl_log_clamp, kl_log_clamp)
        dpass = ((d >= -kl_log_clamp) & (d <= kl_log_clamp)).astype(float)
        if kl_estimator == 0:
            k, dk = dc, np.ones_like(dc)
        elif kl_estimator == 1:
            k, dk = np.abs(dc), np.sign(dc)
        elif kl_estimator == 2:
            k, dk = 0.5 * dc * dc, dc
        else:
            e = np.exp(-dc)
            k, dk = e + dc - 1.0, 1.0 - e
        inside = (k >= -kl_value_clamp) & (k <= kl_value_clamp)
        k = np.where(inside, k, np.sign(k) * kl_value_clamp)
        dk = np.where(inside, dk, 0.0)
        dk = d if kl_straight_through else dk * dpass
        if kl_grad_is_cap:
            dk = dk * np.minimum(np.exp(x), kl_grad_is_cap)
        if kl_ratio_weighted:
            kw, dkw = k * ratio, dk * ratio
            if seq_level:
                seq_acc += np.where(m, kl_coef * wk * k, 0.0).sum(1)
            else:
                dkw = dkw + k * ratio * ratio_pass
        else:
            kw, dkw = k, dk
        grad = grad + kl_coef * wk * dkw
        kl_vals = kw
        per_token = per_token + kl_coef * kw
    if seq_level:
        grad = grad + (seq_acc * np.exp(u) * u_pass / seq_len)[:, None] * gx
    grad = np.where(m, grad, 0.0)
    per_token = np.where(m, per_token, 0.0)

    tokens = n.sum()
    den = max(tokens, 1.0)
    frac = lambda f: np.where(m, f, 0.0).sum() / den  # noqa: E731
    row_low = np.where(m, low, 0.0).sum(1)
    row_high = np.where(m, high, 0.0).sum(1)
    rows = n > 0
    metrics = {
        "policy_loss": float(np.where(m, wp * p * loss, 0.0).sum()),
        "kl_loss": float(np.where(m, wk * kl_vals, 0.0).sum()),
        "tokens": float(tokens),
        "kl_mean": float(frac(kl_vals)) if kl_coef != 0 else math.nan,
        "clip_low": float(frac(low)), "clip_high": float(frac(high)), "clip_region": float(frac(low | high)),
        "clip_low_min": float((row_low[rows] / n[rows]).min()) if rows.any() else math.nan,
        "clip_high_max": float((row_high[rows] / n[rows]).max()) if rows.any() else math.nan,
        "clipfrac": float(frac(clipped)), "clipfrac_lower": float(frac(dual)), "cispo_clip": float(frac(cispo)),
        "ppo_kl": math.nan if skip_ratio_metrics else float(frac(-x if ppo_kl_raw else -_clip(x, log_ratio_min, log_ratio_max))),
        "is_mean": float(frac(rho if surrogate != 4 else rho)),
        "is_min": float(rho[m].min()) if m.any() else math.nan,
        "is_max": float(rho[m].max()) if m.any() else math.nan,
        "ratio_mean": math.nan if skip_ratio_metrics else float(frac(ratio)),
        "phi_mean": float(phi.mean()) if surrogate == 4 else math.nan,
    }
    metrics["loss"] = metrics["policy_loss"] + kl_coef * metrics["kl_loss"]
    return metrics, grad, per_token


# ------------------------------------------------------------------ code output comparators (branch sandbox)
# Twin of grpo_compare_output (csrc/code_compare.c).

_WS = " \t\n\r\v\f"


def _lines(s: str) -> list[str]:
    s = s.strip(_WS)
    return [line.strip(_WS) for line in s.split("\n")] if s else []


def _numbers_equal(a: str, b: str, rel_tol: float, abs_tol: float) -> bool:
    integer = re.compile(r"[-+]?[0-9]+\Z")
    decimal = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
    if integer.match(a) and integer.match(b):
        return int(a) == int(b)
    if not (decimal.match(a) and decimal.match(b)) or len(a) >= 128 or len(b) >= 128:
        return False
    x, y = float(a), float(b)
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= max(abs_tol, rel_tol * abs(y))


def compare_output(actual: str, expected: str, mode: str, rel_tol: float = 1e-6,
                   abs_tol: float = 1e-6) -> bool:
    """exact | lines | tokens | float, as documented in csrc/grpo.h."""
    if mode == "exact":
        return actual == expected
    if mode == "lines":
        return _lines(actual) == _lines(expected)
    ta, tb = actual.split(), expected.split()
    if mode == "tokens":
        return ta == tb
    return len(ta) == len(tb) and all(
        a == b or _numbers_equal(a, b, rel_tol, abs_tol) for a, b in zip(ta, tb))

# ------------------------------------------------------------------ text rewards (branch text)
# The peers' own rules, restated: regexes run by Python's `re`, loops over Python lists.
# This section imports what it uses, so that it stands alone when the file is merged.



def _tag_regex(think=("<think>", "</think>"), answer=("<answer>", "</answer>")):
    o, c = (re.escape(t) for t in think)
    a, e = (re.escape(t) for t in answer)
    return o, c, a, e


def format_reward(text, mode="openr1", prefilled=False, think=("<think>", "</think>"),
                  answer=("<answer>", "</answer>"), language="python"):
    """1.0/0.0 by the peer regex of `mode` (openr1, think, code) or the strict rule."""
    if text is None:
        return math.nan
    o, c, a, e = _tag_regex(think, answer)
    if mode == "openr1":
        pattern, prefix = rf"^{o}\n.*?\n{c}\n{a}\n.*?\n{e}$", think[0] + "\n"
    elif mode == "code":
        lang = re.escape(language)
        pattern = rf"^{o}\n.*?\n{c}\n{a}\n.*?```{lang}.*?```.*?\n{e}$"
        prefix = think[0] + "\n"
    elif mode == "think":
        pattern, prefix = rf"^{o}(?!.*{o})(.*?){c}.*$", think[0]
    elif mode == "strict":
        return strict_format_reward(text, prefilled, think, answer)
    else:
        raise ValueError(mode)
    if prefilled:
        text = prefix + text
    return 1.0 if re.match(pattern, text, re.DOTALL | re.MULTILINE) else 0.0


def strict_format_reward(text, prefilled=False, think=("<think>", "</think>"),
                         answer=("<answer>", "</answer>")):
    """One non-blank think block, one non-blank answer block, whitespace only around them."""
    tags = [*think, *answer]
    if prefilled:
        text = think[0] + text
    else:
        text = text.lstrip(" \t\n\r\f\v")
    if not text.startswith(think[0]):
        return 0.0
    rest = text[len(think[0]):]
    if think[1] not in rest:
        return 0.0
    body, rest = rest.split(think[1], 1)
    rest = rest.lstrip(" \t\n\r\f\v")
    if not rest.startswith(answer[0]):
        return 0.0
    rest = rest[len(answer[0]):]
    if answer[1] not in rest:
        return 0.0
    body2, tail = rest.split(answer[1], 1)
    for b in (body, body2):
        if not b.strip(" \t\n\r\f\v") or any(t in b for t in tags):
            return 0.0
    return 1.0 if not tail.strip(" \t\n\r\f\v") else 0.0


def tag_count_reward(text, think=("<think>", "</think>"), answer=("<answer>", "</answer>")):
    if text is None:
        return math.nan
    pieces = [think[0] + "\n", "\n" + think[1] + "\n", "\n" + answer[0] + "\n", "\n" + answer[1]]
    return sum(0.25 for p in pieces if text.count(p) == 1)


def reasoning_steps_reward(text, steps_for_full=3.0):
    if text is None:
        return math.nan
    pattern = r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)"
    return min(1.0, len(re.findall(pattern, text)) / steps_for_full)


def repetition_penalty(units, ngram_size=3, max_penalty=-1.0):
    """open-r1/TRL: units are text.lower().split() words or token ids."""
    if len(units) < ngram_size:
        return 0.0
    ngrams = list(zip(*[units[i:] for i in range(ngram_size)]))
    return (1 - len(set(ngrams)) / len(ngrams)) * max_penalty


def kimi_length(lengths, correct):
    lo, hi = min(lengths), max(lengths)
    if lo == hi:
        return [0.0] * len(lengths)
    out = []
    for n, ok in zip(lengths, correct):
        lam = 0.5 - (n - lo) / (hi - lo)
        out.append(lam if ok else min(0, lam))
    return out


def cosine_length(length, correct, min_value_wrong=-1.0, max_value_wrong=-0.5,
                  min_value_correct=0.5, max_value_correct=1.0, max_len=1000, clip=False):
    progress = length / max_len
    if clip:
        progress = min(progress, 1.0)
    cosine = math.cos(progress * math.pi)
    lo, hi = ((min_value_correct, max_value_correct) if correct
              else (max_value_wrong, min_value_wrong))
    return lo + 0.5 * (hi - lo) * (1.0 + cosine)


def soft_overlong(length, max_completion_len, soft_punish_cache):
    start = max_completion_len - soft_punish_cache
    if length <= start:
        return 0.0
    if length <= max_completion_len:
        return (start - length) / soft_punish_cache
    return -1.0


def combine(rows, weights=None):
    """TRL: weighted nansum per completion; NaN when every reward of the row is NaN."""
    out = []
    for row in rows:
        w = weights if weights is not None else [1.0] * len(row)
        terms = [r * wi for r, wi in zip(row, w)]
        if all(math.isnan(r) for r in row):
            out.append(math.nan)
        else:
            out.append(sum(t for t in terms if not math.isnan(t)))
    return out


# Language consistency: the definition of csrc/lang.c restated over code points. Byte offsets
# matter only for two bounded look-aheads (a tag name is at most 64 bytes, a \begin name at most
# 32), so the text is kept as UTF-8 bytes and decoded one code point at a time.


_CONTINUA = {"han", "hiragana", "katakana", "thai", "lao", "khmer", "myanmar"}


# The scripts whose letters are counted, by their Unicode names (a restatement: the twin reads
# nothing from the code it mirrors).
_SCRIPTS = ("latin", "cyrillic", "greek", "armenian", "hebrew", "arabic", "devanagari", "bengali",
            "gurmukhi", "gujarati", "tamil", "telugu", "kannada", "malayalam", "thai", "lao",
            "georgian", "hangul", "hiragana", "katakana", "han", "khmer", "myanmar", "ethiopic")
_NAMED_SCRIPTS = {name.upper(): name for name in _SCRIPTS}


def _script_of(cp):
    """Script name, or 'common', 'inherited', 'digit', 'invalid', from the Unicode character
    name and category (independent of the C range table)."""
    import unicodedata

    if cp is None:
        return "invalid"
    ch = chr(cp)
    category = unicodedata.category(ch)
    if category == "Nd":
        return "digit"
    if cp < 0x80:
        return "latin" if ch.isalpha() else "common"
    name = unicodedata.name(ch, "")
    if name.startswith(("COMBINING", "VARIATION SELECTOR", "ZERO WIDTH NON-JOINER",
                        "ZERO WIDTH JOINER")):
        return "inherited"
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return "han"
    # The prolonged sound mark (Common in Scripts.txt) is part of katakana words: counted so.
    for prefix, script in (("FULLWIDTH LATIN", "latin"), ("HALFWIDTH KATAKANA", "katakana"),
                           ("KATAKANA-HIRAGANA PROLONGED", "katakana"),
                           ("HALFWIDTH HANGUL", "hangul")):
        if name.startswith(prefix):
            return script
    if category[0] in "LM":
        return _NAMED_SCRIPTS.get(name.split(" ")[0], "common")
    return "common"


def _decode(b, at):
    """(code point or None if invalid, width) at byte offset `at` (strict UTF-8)."""
    for width in (1, 2, 3, 4):
        chunk = b[at:at + width]
        try:
            s = chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(s) == 1:
            return ord(s), width
    return None, 1


def language_units(text, targets, one_letter_words, region="think", think=("<think>", "</think>"),
                   continua_weight=1.0, ignore_acronyms=False):
    """(target units, other units, invalid UTF-8 count, excluded bytes) of one text; `targets`
    are script names, `one_letter_words` the letters that are words when alone."""
    targets = set(targets)
    b = text.encode("utf-8", "surrogatepass")
    begin, end = 0, len(b)
    if region == "think":
        o, c = think[0].encode(), think[1].encode()
        if o in b:
            begin = b.index(o) + len(o)
            close = b.find(c, begin)
            end = close if close >= 0 else len(b)
        elif c in b:
            end = b.index(c)
    b = b[:end]
    counts = {"target": 0.0, "other": 0.0, "invalid": 0, "excluded": 0}

    def unit(script, weight):
        counts["target" if script in targets else "other"] += weight

    def word(start, stop):
        letters = []
        at = start
        while at < stop:
            cp, w = _decode(b, at)
            letters.append((cp, _script_of(cp)))
            at += w
        if any(cp == ord("_") or cls == "digit" for cp, cls in letters):
            return
        runs = []  # [script, letters, all caps, first letter]
        for cp, cls in letters:
            if cls in _SCRIPTS:
                if not runs or runs[-1][0] != cls:
                    runs.append([cls, 0, True, chr(cp)])
                runs[-1][1] += 1
                if not (ord("A") <= cp <= ord("Z")):
                    runs[-1][2] = False
        for script, n, caps, first in runs:
            variable = n == 1 and first.isascii() and first not in one_letter_words
            if script == "latin" and (variable or (ignore_acronyms and caps and n <= 5)):
                continue
            unit(script, 1.0)

    def closing(at, pat):
        hit = b.find(pat, at, end)
        return hit + len(pat) if hit >= 0 else None

    spaces = b" \t\n\r\f\v"

    def inline_math(at):
        """Pandoc's inline math: "$" + non-space ... non-space + "$" not before a digit, within
        one paragraph."""
        if at + 1 >= end or b[at + 1] in spaces:
            return None
        paragraph = b.find(b"\n\n", at + 1, end)
        stop = end if paragraph < 0 else paragraph
        for k in range(at + 2, stop):
            if b[k:k + 1] == b"$" and b[k - 1] not in spaces \
                    and not (k + 1 < end and b[k + 1:k + 2].isdigit()):
                return k + 1
        return None
    budget = [4 * (end - begin) + 4096]
    at, start = begin, None
    while at < end:
        ch = b[at:at + 1]
        nxt = None
        if b.startswith(b"```", at) or b.startswith(b"~~~", at):
            nxt = closing(at + 3, b[at:at + 3]) or end
        elif ch == b"`":
            k = at + 1
            while k < end and b[k:k + 1] not in (b"`", b"\n"):
                k += 1
            nxt = k + 1 if b[k:k + 1] == b"`" else at + 1
        elif ch == b"$":
            nxt = closing(at + 2, b"$$") if b.startswith(b"$$", at) else inline_math(at)
            nxt = nxt or at + 1
        elif ch == b"\\" and at + 1 < end:
            d = b[at + 1:at + 2]
            if d == b"(":
                nxt = closing(at + 2, b"\\)")
            elif d == b"[":
                nxt = closing(at + 2, b"\\]")
            elif b.startswith(b"\\begin{", at):
                k = at + 7
                while k < end and k - (at + 7) < 32 and b[k:k + 1] != b"}" and b[k] not in spaces:
                    k += 1
                if k < end and b[k:k + 1] == b"}" and k > at + 7:
                    pat = b"\\end{" + b[at + 7:k] + b"}"
                    limit = min(end, k + 1 + budget[0])
                    hit = b.find(pat, k + 1, limit)
                    budget[0] -= (hit if hit >= 0 else limit) - (k + 1)
                    nxt = hit + len(pat) if hit >= 0 else None
            if nxt is None:
                nxt = at + 1
                while nxt < end and (b[nxt] | 0x20) in range(ord("a"), ord("z") + 1):
                    nxt += 1
                if nxt == at + 1 and b[at + 1] < 0x80:
                    nxt = at + 2
        elif ch == b"<":
            k = at + 1
            if b[k:k + 1] == b"/":
                k += 1
            name = k
            while k < end and k - name < 64 and b[k:k + 1] not in (b">", b"<") \
                    and b[k] not in spaces:
                k += 1
            if k < end and b[k:k + 1] == b">" and k > name:
                nxt = k + 1
        elif ch == b":" and start is not None and b.startswith(b"://", at):
            start = None
            nxt = at
            while nxt < end and b[nxt] not in spaces:
                nxt += 1
        elif ch == b"@" and start is not None and at + 1 < end \
                and chr(b[at + 1]).isascii() and chr(b[at + 1]).isalnum():
            start = None
            nxt = at
            while nxt < end and b[nxt] not in spaces:
                nxt += 1
        if nxt is not None:
            if start is not None:
                word(start, at)
            start = None
            counts["excluded"] += nxt - at
            at = nxt
            continue
        cp, w = _decode(b, at)
        cls = _script_of(cp)
        spaced_letter = cls in _SCRIPTS and cls not in _CONTINUA
        in_word = spaced_letter or cls in ("inherited", "digit") or cp == ord("_")
        if not in_word and start is not None and cp in (ord("'"), 0x2019, ord("-")) \
                and at + w < end:
            after, _ = _decode(b, at + w)
            acls = _script_of(after)
            in_word = acls in _SCRIPTS and acls not in _CONTINUA
        if in_word:
            if start is None:
                start = at
        else:
            if start is not None:
                word(start, at)
            start = None
            if cls in _CONTINUA:
                unit(cls, continua_weight)
            elif cls == "invalid":
                counts["invalid"] += 1
        at += w
    if start is not None:
        word(start, end)
    return counts["target"], counts["other"], counts["invalid"], counts["excluded"]


def language_consistency(text, targets, one_letter_words, min_units=5.0, threshold=None,
                         **options):
    if text is None:
        return math.nan
    t, o, _, _ = language_units(text, targets, one_letter_words, **options)
    if t + o == 0 or t + o < min_units:
        return math.nan
    share = t / (t + o)
    if threshold:
        return 1.0 if share >= threshold else 0.0
    return share

# ---- math answers: extraction (twin of csrc/math_extract.c) ------------------------------------

_SPACE = " \t\n\r\f\v"


def _read_box(s: str, kw: int, klen: int):
    """(content_begin, content_end, closed, braced) of the box whose keyword starts at kw."""
    p = kw + klen
    if p < len(s) and s[p].isascii() and s[p].isalpha():
        return None
    while p < len(s) and s[p] in " \t":
        p += 1
    if p < len(s) and s[p] == "{":
        depth, q = 0, p
        while q < len(s):
            c = s[q]
            if c == "\\" and q + 1 < len(s) and s[q + 1] in "{}":
                q += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return p + 1, q, True, True
            q += 1
        return p + 1, len(s), False, True
    b = p
    while p < len(s) and s[p] not in _SPACE and s[p] not in "$}":
        p += 1
    e = p
    while e > b and s[e - 1] in ".,":
        e -= 1
    return b, e, True, False


def _last_box_kw(s: str, limit: int):
    b, f = s.rfind("\\boxed", 0, limit), s.rfind("\\fbox", 0, limit)
    if b < 0 and f < 0:
        return -1, 0
    return (b, 6) if b > f else (f, 5)


def _only_separators(gap: str) -> bool:
    i = 0
    while i < len(gap):
        c = gap[i]
        low = gap[i:].lower()
        if c in _SPACE or c in ",;.$&~{}\\":
            i += 1
        elif low.startswith("and"):
            i += 3
        elif low.startswith("or"):
            i += 2
        elif gap.startswith("\\text", i):
            i += 5
        elif gap.startswith("quad", i) and len(gap) - i >= 5:
            i += 4
        else:
            return False
    return True


def _previous_box(s: str, start: int):
    p, scanned = start, 0
    while p > 0 and scanned < 24 and s[p - 1] != "}":
        p -= 1
        scanned += 1
    if p == 0 or s[p - 1] != "}" or not _only_separators(s[p:start]):
        return None
    close, depth, q = p - 1, 0, p
    while True:
        q -= 1
        if q < 0:
            return None
        escaped = q > 0 and s[q - 1] == "\\"
        if s[q] == "}" and not escaped:
            depth += 1
        elif s[q] == "{" and not escaped:
            depth -= 1
            if depth == 0:
                break
        if q == 0:
            return None
    k = q
    while k > 0 and s[k - 1] in " \t":
        k -= 1
    for kw in ("\\boxed", "\\fbox"):
        if s[:k].endswith(kw):
            return k - len(kw), q + 1, close
    return None


def _extract_box(s: str):
    """None if there is no box; "" for a truncated/empty last box; else the answer text."""
    kw, klen = _last_box_kw(s, len(s))
    box = None
    for _ in range(17):
        if kw < 0:
            return None
        box = _read_box(s, kw, klen)
        if box is not None:
            break
        kw, klen = _last_box_kw(s, kw)
    if box is None:
        return None
    b, e, closed, _ = box
    if not closed or not s[b:e].strip():
        return ""
    boxes = [(kw, b, e)]
    while len(boxes) < 64:
        prev = _previous_box(s, boxes[-1][0])
        if prev is None:
            break
        boxes.append(prev)
    if len(boxes) == 1:
        return s[b:e].strip()
    parts = []
    for _, cb, ce in reversed(boxes):
        text = s[cb:ce].strip()
        if text and (not parts or parts[-1] != text):
            parts.append(text)
    return ", ".join(parts)


def _anchored(s: str, p: int, latex_only: bool):
    while p < len(s) and (s[p] in _SPACE or s[p] in ":*"):
        p += 1
    if s[p:p + 2].lower() == "is" and not (p + 2 < len(s) and s[p + 2].isascii() and s[p + 2].isalpha()):
        p += 2
        while p < len(s) and (s[p] in _SPACE or s[p] in ":*"):
            p += 1
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(opener, p):
            c = s.find(closer, p + len(opener))
            if c >= 0:
                text = s[p + len(opener):c].strip()
                return text or None
            break
    if latex_only:
        return None
    e = p
    while e < len(s) and s[e] != "\n":
        if s[e] == "." and (e + 1 == len(s) or s[e + 1] in _SPACE or s[e + 1] == "*"):
            break
        e += 1
    m = _math_prefix_end(s, p, e)
    if m > p:
        e = m
    else:
        comma = s.find(",", p, e)
        e = comma if comma >= 0 else e
    text = s[p:e].rstrip("*, \t\n\r\f\v").strip()
    return text or None


_HEDGES = {"more", "less", "fewer", "greater", "higher", "lower", "above", "below", "larger",
           "smaller", "so", "bigger", "over", "under"}
_MATH_WORDS = {"sqrt", "pi", "inf", "infty", "infinity", "sin", "cos", "tan", "log", "ln", "exp"}
_PROSE2 = {"is", "so", "it", "as", "be", "we", "if", "on", "at", "to", "of", "by", "no", "an",
           "my", "am", "He", "It", "So", "As", "If", "We"}


def _alpha(c: str) -> bool:
    return c.isascii() and c.isalpha()


def _math_follows(s: str, p: int, e: int) -> bool:
    while p < e and s[p] == " ":
        p += 1
    if p >= e:
        return False
    c = s[p]
    if c in "0123456789-$\\(":
        return True
    return _alpha(c) and c not in "IaA" and not (p + 1 < e and _alpha(s[p + 1]))


def _math_prefix_end(s: str, b: int, e: int) -> int:
    """End of the math at the start of s[b:e]: stops at the first prose word."""
    p = good = b
    while p < e:
        c = s[p]
        if _alpha(c):
            q = p
            while q < e and _alpha(s[q]):
                q += 1
            word = s[p:q]
            if word.lower() in ("and", "or"):
                if not _math_follows(s, q, e):
                    w = q
                    while w < e and s[w] == " ":
                        w += 1
                    we = w
                    while we < e and _alpha(s[we]):
                        we += 1
                    return b if s[w:we] in _HEDGES else good
            elif (word not in _MATH_WORDS) if len(word) >= 3 else (word in _PROSE2):
                break
            p = good = q
            continue
        if c == "\\":
            q = p + 1
            while q < e and _alpha(s[q]):
                q += 1
            if q == p + 1 and q < e:
                q += 1
            p = good = q
            continue
        if c in "(," and p > b:
            q = p + 1
            while q < e and s[q] == " ":
                q += 1
            r = q
            while r < e and _alpha(s[r]):
                r += 1
            if r - q >= 3 and s[q:r] not in _MATH_WORDS:
                break
        p += 1
        if c not in _SPACE:
            good = p
    return good


_DENIALS = {"wrong", "incorrect", "false", "not", "doubt", "never", "isn", "unlikely",
            "impossible", "no", "t", "cannot"}


def _anchor_denied(s: str, at: int) -> bool:
    """Does the clause before the anchor (back to punctuation, <= 80 chars) deny it?"""
    b, limit = at, max(at - 80, 0)
    while b > limit and s[b - 1] not in ".,;:!?\n":
        b -= 1
    words, word = [], ""
    for c in s[b:at]:
        if _alpha(c):
            word += c.lower()
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return any(w[:15] in _DENIALS for w in words)


def _extract_anchor(s: str, latex_only: bool):
    low, limit = "".join(c.lower() if c.isascii() else c for c in s), len(s)
    for _ in range(4):
        at = low.rfind("answer", 0, limit)
        if at < 0:
            return None
        p = at + 6
        if p < len(s) and low[p] == "s":
            p += 1
        q = p
        while q < len(s) and s[q] in " *\t":
            q += 1
        ok = False
        if q < len(s) and s[q] in ":=":
            ok = True
        elif low.startswith("is", q):
            ok = True
        elif low.startswith("are", q):
            q += 3
            ok = True
        elif q > p and s[q - 1] == "*":
            ok = True
        elif s.startswith(("$", "\\(", "\\["), q):
            ok = True
        if ok and q < len(s) and s[q] == "=":
            q += 1
        if ok and not _anchor_denied(s, at):
            text = _anchored(s, q, latex_only)
            if text is not None:
                return text
        limit = at
    return None


def _extract_hashes(s: str):
    at = s.rfind("####")
    if at < 0:
        return None
    line = s[at + 4:].split("\n", 1)[0].strip().rstrip(".")
    return line


def math_extract_answer(text: str, *, gold: bool = False, mode: str = "default",
                        after_think: bool = False) -> str | None:
    """The final answer of a completion (or a gold) as grpo_c reads it, or None.

    Order: the last box (adjacent boxes joined as a list); a truncated or empty last box is no
    answer. Golds then take "#### n" or the whole text. Completions (mode "default") then take the
    last <answer>...</answer>, then "#### n", then an anchored phrase ("the answer is ...");
    mode "strict" only anchors followed by $...$, \\(...\\) or \\[...\\]; mode "boxed" only boxes.
    """
    if not gold and after_think:
        at = text.rfind("</think>")
        if at < 0:
            return None
        return math_extract_answer(text[at + 8:], mode=mode)
    boxed = _extract_box(text)
    if boxed is not None:
        return boxed or None
    if gold:
        hashes = _extract_hashes(text)
        if hashes is not None:
            return hashes or None
        anchored = _extract_anchor(text, False)
        if anchored is not None:
            return anchored
        return text.strip() or None
    if mode == "boxed":
        return None
    if mode == "strict":
        return _extract_anchor(text, True)
    tag = text.rfind("<answer>")
    if tag >= 0:
        close = text.find("</answer>", tag + 8)
        if close < 0:
            return None
        inner = text[tag + 8:close].strip()
        if not inner:
            return None
        return _extract_anchor(inner, False) or inner
    hashes = _extract_hashes(text)
    if hashes is not None:
        return hashes or None
    return _extract_anchor(text, False)

# ---- end of math answers -----------------------------------------------------------------------
