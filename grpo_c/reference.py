"""Plain NumPy/Python twins of the C kernels, written for clarity rather than speed.

Each function takes the arguments of the kernel it mirrors (after option resolution) and returns
what it returns. Tests run kernel and twin on the same inputs; benchmarks use the twins as a
"naive but vectorised" baseline. Masked positions are removed with np.where before any
arithmetic, which is the stance of the C core (they never influence results).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["group_stats", "group_advantages", "whiten_tokens", "policy_loss"]

# ------------------------------------------------------------------------------ advantages


def _group_index(n: int, group_ids, group_size: int) -> np.ndarray:
    return np.asarray(group_ids, dtype=np.int64) if group_ids is not None else np.arange(n) // group_size


def group_stats(rewards, group_ids, group_size, num_groups):
    """Per-group (count, sum, M2) of the non-NaN rewards; twin of ``_core.group_stats``."""
    r = np.asarray(rewards, dtype=np.float64)
    g = _group_index(r.shape[0], group_ids, group_size)
    ok = ~np.isnan(r)
    count = np.bincount(g[ok], minlength=num_groups).astype(np.int64)
    total = np.bincount(g[ok], weights=r[ok], minlength=num_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    m2 = np.bincount(g[ok], weights=(r[ok] - mean[g[ok]]) ** 2, minlength=num_groups)
    return count, total, m2


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
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(c - ddof > 0, q / np.maximum(c - ddof, 1), np.nan)
        return np.sqrt(np.maximum(var, eps)) if std_mode == 1 else np.sqrt(var)

    raw_single = (count == 1) & (singleton == 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    centre = np.where(raw_single, 0.0, centre)
    std = np.where(raw_single, 1.0, std_of(count, m2))
    if scale == 1:
        bc, bs = count.sum(), total.sum()
        bmean = bs / bc if bc else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            gmean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        bm2 = m2.sum() + (count * (gmean - bmean) ** 2).sum()
        std = np.full_like(std, std_of(np.array(bc), np.array(bm2)))
    with np.errstate(invalid="ignore", divide="ignore"):
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
    return np.nan_to_num(a, nan=0.0)


def whiten_tokens(advantages, mask, ddof, eps, eps_is_floor, count_eps):
    """Twin of ``_core.whiten_tokens``."""
    m = np.asarray(mask).astype(bool)
    x = np.where(m, np.asarray(advantages, dtype=np.float64)[:, None], 0.0)
    tokens = m.sum()
    mean = x.sum() / (tokens + count_eps) if tokens + count_eps > 0 else 0.0
    var = (np.where(m, x - mean, 0.0) ** 2).sum() / (tokens + count_eps) if tokens + count_eps > 0 else 0.0
    if ddof == 1:
        var = var * tokens / (tokens - 1) if tokens > 1 else 0.0
    inv = 1.0 / math.sqrt(max(var, eps) if eps_is_floor else var + eps)
    return np.where(m, (x - mean) * inv, 0.0)


# ------------------------------------------------------------------------------ policy loss


def _clip(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _row_weights(agg, n, b, t):
    """Per-token weight of each row's unmasked tokens under an aggregation (mode, clamp, D, scale)."""
    mode, clamp, den, scale = agg
    nonempty = float((n > 0).sum())
    if den <= 0:
        den = {0: max(float(n.sum()), 1.0), 1: float(b) if clamp else max(nonempty, 1.0),
               2: max(nonempty, 1.0), 3: float(max(b * t, 1))}[mode]
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == 1:
            w = 1.0 / (np.maximum(n, 1) * den) if clamp else np.where(n > 0, 1.0 / ((n + 1e-8) * den), 0.0)
        elif mode == 2:
            w = np.where(n > 0, 1.0 / den, 0.0)
        elif mode == 3:
            w = n / den
        else:
            w = np.full(n.shape, 1.0 / den)
    return w * scale


def policy_loss(logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights, policy_mask, *,
                ratio_level, surrogate, eps_low, eps_high, dual_clip, delta, log_ratio_min,
                log_ratio_max, cispo_min, cispo_max, sapo_tau_pos, sapo_tau_neg, vespo_k_pos,
                vespo_lambda_pos, vespo_k_neg, vespo_lambda_neg, is_level, is_mask, is_min, is_max,
                is_log_clamp, opsm_threshold, kl_coef, kl_estimator, kl_straight_through,
                kl_ratio_weighted, kl_log_clamp, kl_value_clamp, policy_agg, kl_agg):
    """Twin of ``_core.policy_loss``: returns (metrics, grad, per_token) for the same options.

    The derivative conventions are PyTorch's: min/max ties split half and half, clamps pass the
    gradient at their bounds.
    """
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
        seq_len = n + 1e-8
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
        with np.errstate(over="ignore", invalid="ignore"):
            phi = np.exp(lam + k * log_w - lam * np.exp(log_w))
        phi = np.where(np.isfinite(phi), phi, 0.0)
        rho = np.ones((b, t)) if is_weights is None else np.broadcast_to(
            z(is_weights) if np.ndim(is_weights) == 2 else np.asarray(is_weights, float)[:, None], (b, t))
    keep = np.ones((b, t))
    if policy_mask is not None:
        keep = keep * np.asarray(policy_mask).astype(bool)
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
    else:
        loss, d_ratio = -a * ratio, -a
        a_tok = z(advantages) if np.ndim(advantages) == 2 else np.broadcast_to(
            np.asarray(advantages, float)[:, None], (b, t))
        outside = (x < -eps_low) | (x > eps_high)
        clipped, dual = outside & (a_tok > 0), outside & (a_tok < 0)

    wp = _row_weights(policy_agg, n, b, t)[:, None]
    wk = _row_weights(kl_agg, n, b, t)[:, None]
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
        "ppo_kl": float(frac(-_clip(x, log_ratio_min, log_ratio_max))),
        "is_mean": float(frac(rho if surrogate != 4 else rho)),
        "is_min": float(rho[m].min()) if m.any() else math.nan,
        "is_max": float(rho[m].max()) if m.any() else math.nan,
        "ratio_mean": float(frac(ratio)),
        "phi_mean": float(phi.mean()) if surrogate == 4 else math.nan,
    }
    metrics["loss"] = metrics["policy_loss"] + kl_coef * metrics["kl_loss"]
    return metrics, grad, per_token
