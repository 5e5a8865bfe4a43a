"""Customer lifetime value models in plain NumPy/SciPy: BG/NBD for repeat-purchase counts and
Gamma-Gamma for spend per purchase, fitted by maximum likelihood.

* BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
  Pareto/NBD Model", Marketing Science 24(2). Parameters r, alpha (purchase rates ~ Gamma(r, alpha)),
  a, b (drop-out probability after each purchase ~ Beta(a, b)).
* Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
  Analysis", Journal of Marketing Research 42(4). Parameters p, q, gamma.

Inputs per customer: x = frequency (repeat purchases), t_x = recency (time of the last purchase,
measured from the first), T = age (time from the first purchase to the end of the observation
period), all in one time unit of the caller's choice, and zbar = mean spend per repeat purchase.
Identical rows are grouped (with counts) before fitting, and every term depending on x alone is
computed once per distinct x, so a million customers fit in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

_LOG_BOUND = 15.0  # log-parameters are kept in [-15, 15] (parameters in ~[3e-7, 3e6])
# |log parameter| beyond which a fit that did not converge is taken as running off (e^9 ≈ 8,100).
_RUNAWAY_LOG = 9.0


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters (by name), the maximised log-likelihood, customers used, and status."""

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    success: bool
    message: str


def _group_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of the given equal-length columns and how often each occurs."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def _judge(res, ll: float, names: tuple[str, ...]) -> tuple[bool, str]:
    """A fit is accepted when the optimiser converged (or the gradient vanished) to a finite
    log-likelihood with no parameter at its bound. A parameter running off to 0 or infinity means the
    data cannot identify the model (for example a and b growing together: every customer has the same
    drop-out probability), and its predictions are not trusted."""
    at_bound = [name for name, v in zip(names, res.x, strict=True) if abs(v) >= _LOG_BOUND - 1e-6]
    if not at_bound and not res.success:
        # stopped on its way there: the line search gives up long before the bound
        at_bound = [name for name, v in zip(names, res.x, strict=True) if abs(v) >= _RUNAWAY_LOG]
    if at_bound:
        return False, "parameter(s) ran off to 0 or infinity: " + ", ".join(at_bound)
    if not np.isfinite(ll):
        return False, "log-likelihood is not finite"
    if not (res.success or np.max(np.abs(res.jac)) < 1e-5):
        return False, str(res.message)
    return True, "ok"


# --------------------------------------------------------------------------------------- BG/NBD


def _bgnbd_ll_and_grad(theta: np.ndarray, ux: np.ndarray, ix: np.ndarray, x: np.ndarray,
                       t_x: np.ndarray, big_t: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row log-likelihood and its gradient w.r.t. (r, alpha, a, b); x-only terms on distinct x."""
    r, alpha, a, b = theta
    # terms depending on x only, evaluated on the distinct values ux and gathered with ix
    a1 = (gammaln(r + ux) - gammaln(r))[ix] + r * np.log(alpha)
    beta0 = betaln(a, b)
    b2 = (betaln(a, b + ux) - beta0)[ix]
    with np.errstate(divide="ignore", invalid="ignore"):
        b3 = np.where(ux > 0, betaln(a + 1, np.maximum(b + ux - 1, 1e-300)) - beta0, -np.inf)[ix]
    log_at = np.log(alpha + big_t)
    log_atx = np.log(alpha + t_x)
    a2 = b2 - (r + x) * log_at
    a3 = b3 - (r + x) * log_atx
    lse = np.logaddexp(a2, a3)
    ll = a1 + lse
    w2 = np.exp(a2 - lse)
    w3 = np.exp(a3 - lse)
    # gradient
    d_r = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - w2 * log_at - w3 * log_atx
    d_alpha = r / alpha - w2 * (r + x) / (alpha + big_t) - w3 * (r + x) / (alpha + t_x)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + ux)
    d2_a = (psi_ab - psi_abx)[ix]
    d2_b = (digamma(b + ux) - psi_abx - digamma(b) + psi_ab)[ix]
    d3_a = (digamma(a + 1) - psi_abx - digamma(a) + psi_ab)[ix]
    with np.errstate(divide="ignore", invalid="ignore"):
        d3_b = np.where(ux > 0, digamma(np.maximum(b + ux - 1, 1e-300)) - psi_abx - digamma(b) + psi_ab, 0.0)[ix]
    d_a = w2 * d2_a + w3 * d3_a
    d_b = w2 * d2_b + w3 * d3_b
    grad = np.array([np.dot(w, d_r), np.dot(w, d_alpha), np.dot(w, d_a), np.dot(w, d_b)])
    return ll, grad


def bgnbd_log_likelihood(params: dict[str, float], x, t_x, big_t) -> float:
    """Total BG/NBD log-likelihood (eq. 6 of the paper) of the customers given as arrays."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    ux, ix = np.unique(x, return_inverse=True)
    theta = np.array([params["r"], params["alpha"], params["a"], params["b"]])
    ll, _ = _bgnbd_ll_and_grad(theta, ux, ix, x, t_x, big_t, np.ones_like(x))
    return float(ll.sum())


def fit_bgnbd(x, t_x, big_t) -> FitResult:
    """Maximum-likelihood BG/NBD fit: L-BFGS-B on the log-parameters with an analytic gradient,
    from the fixed start r = a = b = 1, alpha = mean T (deterministic)."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    n = int(x.size)
    if n == 0:
        return FitResult({}, float("nan"), 0, False, "no customers")
    (gx, gtx, gt), w = _group_rows(x, t_x, big_t)
    ux, ix = np.unique(gx, return_inverse=True)
    total = w.sum()

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        ll, grad = _bgnbd_ll_and_grad(theta, ux, ix, gx, gtx, gt, w)
        value = -float(np.dot(w, ll)) / total
        if not np.isfinite(value):
            return 1e10, np.zeros(4)
        return value, -grad * theta / total

    start = np.log([1.0, max(float(np.mean(big_t)), 1e-3), 1.0, 1.0])
    res = minimize(objective, start, jac=True, method="L-BFGS-B",
                   bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
                   options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
    theta = np.exp(res.x)
    ll = -float(res.fun) * total
    ok, message = _judge(res, ll, ("r", "alpha", "a", "b"))
    return FitResult(dict(zip(("r", "alpha", "a", "b"), map(float, theta), strict=True)), ll, n, ok, message)


def bgnbd_p_alive(params: dict[str, float], x, t_x, big_t) -> np.ndarray:
    """P(customer still active at T | x, t_x, T) (paper eq. 11); exactly 1 when x = 0."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * (
            np.log(alpha + big_t) - np.log(alpha + t_x))
        odds = np.where(x > 0, np.exp(log_odds), 0.0)
    return 1.0 / (1.0 + odds)


def bgnbd_probability_no_purchase(params: dict[str, float], t, x, t_x, big_t) -> np.ndarray:
    """P(no purchase in (T, T + t] | x, t_x, T) = 1 − P(alive) (1 − ((alpha+T)/(alpha+T+t))^(r+x)).

    A customer who has dropped out makes no purchase; one still active buys at a rate whose posterior
    is Gamma(r + x, alpha + T) and drops out only right after a purchase, so their chance of no
    purchase in the next t is E[exp(−lambda t)] under that posterior."""
    r, alpha = params["r"], params["alpha"]
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        quiet_if_alive = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
    probability = 1.0 - bgnbd_p_alive(params, x, t_x, big_t) * (1.0 - quiet_if_alive)
    return np.clip(np.where(np.isfinite(probability), probability, 1.0), 0.0, 1.0)


def bgnbd_expected_purchases(params: dict[str, float], t, x, t_x, big_t) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (paper eq. 10).

    The Gaussian hypergeometric term is evaluated after Euler's transformation,
    ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
    with z = t / (alpha+T+t), whose parameters stay small for any x, so large frequencies neither
    overflow nor lose precision. Non-finite results (none expected) fall back to the upper bound
    P(alive) x (r+x)/(alpha+T) x t.
    """
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    t = np.asarray(t, dtype=float)
    p_alive = bgnbd_p_alive(params, x, t_x, big_t)
    z = t / (alpha + big_t + t)
    with np.errstate(all="ignore"):
        term = (1.0 - z) ** (a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        expected = (a + b + x - 1.0) / (a - 1.0) * (1.0 - term) * p_alive
    fallback = p_alive * (r + x) / (alpha + big_t) * t
    expected = np.where(np.isfinite(expected), expected, fallback)
    return np.maximum(expected, 0.0)


# ----------------------------------------------------------------------------------- Gamma-Gamma


def _gg_ll_and_grad(theta: np.ndarray, x: np.ndarray, zbar: np.ndarray,
                    w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, q, g = theta
    px = p * x
    log_denominator = np.log(g + x * zbar)
    log_zbar = np.log(zbar)
    log_x = np.log(x)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + (px - 1) * log_zbar
          + px * log_x - (px + q) * log_denominator)
    psi_pxq = digamma(px + q)
    d_p = x * (psi_pxq - digamma(px) + log_zbar + log_x - log_denominator)
    d_q = psi_pxq - digamma(q) + np.log(g) - log_denominator
    d_g = q / g - (px + q) / (g + x * zbar)
    return ll, np.array([np.dot(w, d_p), np.dot(w, d_q), np.dot(w, d_g)])


def gamma_gamma_log_likelihood(params: dict[str, float], x, zbar) -> float:
    """Total Gamma-Gamma log-likelihood of the mean spends zbar of customers with x > 0 purchases."""
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    theta = np.array([params["p"], params["q"], params["gamma"]])
    return float(_gg_ll_and_grad(theta, x, zbar, np.ones_like(x))[0].sum())


def fit_gamma_gamma(x, zbar) -> FitResult:
    """Maximum-likelihood Gamma-Gamma fit on customers with x > 0 and zbar > 0 (others are ignored):
    L-BFGS-B on the log-parameters from the fixed start p = q = 1, gamma = mean zbar."""
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    keep = (x > 0) & (zbar > 0) & np.isfinite(zbar)
    x, zbar = x[keep], zbar[keep]
    n = int(x.size)
    if n == 0:
        return FitResult({}, float("nan"), 0, False, "no repeat customers with spend")
    (gx, gz), w = _group_rows(x, zbar)
    total = w.sum()

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        ll, grad = _gg_ll_and_grad(theta, gx, gz, w)
        value = -float(np.dot(w, ll)) / total
        if not np.isfinite(value):
            return 1e10, np.zeros(3)
        return value, -grad * theta / total

    start = np.log([1.0, 1.0, float(np.mean(zbar))])
    res = minimize(objective, start, jac=True, method="L-BFGS-B",
                   bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
                   options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-10})
    theta = np.exp(res.x)
    ll = -float(res.fun) * total
    ok, message = _judge(res, ll, ("p", "q", "gamma"))
    if ok and theta[1] <= 1:
        ok, message = False, "q <= 1: the mean spend per purchase is not finite"
    return FitResult(dict(zip(("p", "q", "gamma"), map(float, theta), strict=True)), ll, n, ok, message)


def gamma_gamma_expected_spend(params: dict[str, float], x, zbar) -> np.ndarray:
    """E[spend per purchase | x, zbar] = p (gamma + x zbar) / (p x + q - 1) (iso-value paper eq. 5):
    a weighted mean of the population mean p gamma / (q - 1) and the customer's own zbar. With x = 0
    it is the population mean."""
    p, q, g = params["p"], params["q"], params["gamma"]
    x = np.asarray(x, dtype=float)
    zbar = np.where(x > 0, np.maximum(np.asarray(zbar, dtype=float), 0.0), 0.0)
    return p * (g + x * zbar) / (p * x + q - 1.0)


# ------------------------------------------------------------------------------------------- CLV


def discounted_purchases(params_bgnbd: dict[str, float], x, t_x, big_t, period_length: float, periods: int,
                         rate_per_period: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases over ``periods`` periods of ``period_length`` time units, and their
    discounted sum: the sum over periods m = 1..periods of (expected purchases in period m) ÷ (1 + rate)^m."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    # evaluate the cumulative expectation once per distinct (x, t_x, T)
    unique, inverse = np.unique(np.column_stack([x, t_x, big_t]), axis=0, return_inverse=True)
    gx, gtx, gt = unique[:, 0], unique[:, 1], unique[:, 2]
    inverse = inverse.ravel()
    cumulative = np.column_stack([np.zeros_like(gx)] + [
        bgnbd_expected_purchases(params_bgnbd, m * period_length, gx, gtx, gt) for m in range(1, periods + 1)])
    per_period = np.maximum(np.diff(cumulative, axis=1), 0.0)
    discount = (1.0 + rate_per_period) ** -np.arange(1, periods + 1)
    return cumulative[:, -1][inverse], (per_period @ discount)[inverse]


def discounted_clv(params_bgnbd: dict[str, float], params_gg: dict[str, float] | None, x, t_x, big_t,
                   zbar, period_length: float, periods: int, rate_per_period: float) -> dict[str, np.ndarray]:
    """p_alive, expected purchases over ``periods`` periods of ``period_length`` time units, expected
    spend per purchase and CLV = sum over periods m = 1..periods of (expected purchases in period m)
    x expected spend / (1 + rate_per_period)^m. Without Gamma-Gamma parameters the spend and CLV are NaN."""
    x = np.asarray(x, dtype=float)
    expected, discounted = discounted_purchases(params_bgnbd, x, t_x, big_t, period_length, periods, rate_per_period)
    p_alive = bgnbd_p_alive(params_bgnbd, x, t_x, big_t)
    spend = np.full(x.shape, np.nan) if params_gg is None else gamma_gamma_expected_spend(params_gg, x, zbar)
    return {"p_alive": p_alive, "expected_purchases": expected, "expected_spend": spend,
            "clv": discounted * spend}
