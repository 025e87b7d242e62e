"""IRT: parameter recovery on simulated data, agreement with girth / statsmodels / scipy,
bad input, diagnostics, and a fit on real ChemBench results."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize
from scipy.special import expit

from assay.analysis.irt import IRT, ItemMatrix, irt_diagnostics, item_matrix
from assay.errors import ConvergenceWarning, DegenerateDataWarning, InputError, NotFittedError
from assay.schema import Run, Score
from assay.store import Store


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(np.ravel(x), np.ravel(y))[0, 1])


def _simulate(
    n_models: int,
    n_items: int,
    *,
    seed: int,
    dims: int = 1,
    rasch: bool = False,
    missing: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """2PL data in the slope-intercept form: P = sigmoid(a . theta - b)."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(n_models, dims))
    a = np.ones((n_items, 1)) if rasch else rng.uniform(0.5, 2.5, size=(n_items, dims))
    b = rng.normal(0.0, 1.5, size=n_items)
    p = expit(theta @ a.T - b)
    Y = (rng.random(p.shape) < p).astype(float)
    if missing:
        Y[rng.random(Y.shape) < missing] = np.nan
    return Y, theta, a, b


# ---------------------------------------------------------------------------- recovery
def test_2pl_recovers_200_models_x_2000_items() -> None:
    Y, theta, a, b = _simulate(200, 2000, seed=0)
    irt = IRT(model="2pl").fit(Y)
    assert irt.converged_
    assert _corr(irt.ability_, theta) >= 0.98
    assert _corr(irt.difficulty_, b) >= 0.98
    # identification: abilities have mean 0 and standard deviation 1
    assert irt.ability_.mean() == pytest.approx(0.0, abs=1e-8)
    assert irt.ability_.std(ddof=1) == pytest.approx(1.0, abs=1e-6)
    # With 200 binary responses per item, discrimination is limited by information, not
    # by the fit: even with the TRUE abilities known, per-item maximum likelihood reaches
    # only ~0.9 here. The joint fit must do as well as that oracle.
    sub = slice(0, 600)  # the oracle loops over items in statsmodels: a subset is enough
    oracle_a = _oracle_discrimination(Y[:, sub], theta)
    assert _corr(irt.discrimination_[sub], a[sub]) >= _corr(oracle_a, a[sub]) - 0.01
    assert _corr(irt.discrimination_, a) >= 0.88


def _oracle_discrimination(Y: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Per-item logistic-regression MLE of the slope with the true abilities (statsmodels)."""
    import statsmodels.api as sm

    X = sm.add_constant(theta[:, 0])
    out = np.empty(Y.shape[1])
    for i in range(Y.shape[1]):
        out[i] = sm.Logit(Y[:, i], X).fit(disp=0, method="newton", maxiter=50).params[1]
    return out


def test_2pl_discrimination_reaches_098_with_enough_models() -> None:
    # the standard error of a slope falls as 1 / sqrt(models): 2,000 models are enough
    Y, theta, a, b = _simulate(2000, 300, seed=1)
    irt = IRT(model="2pl").fit(Y)
    assert _corr(irt.discrimination_, a) >= 0.98
    assert _corr(irt.difficulty_, b) >= 0.99
    assert _corr(irt.ability_, theta) >= 0.98


def test_rasch_matches_girth_conditional_ml() -> None:
    girth = pytest.importorskip("girth")
    Y, theta, _, b = _simulate(400, 40, seed=2, rasch=True)
    irt = IRT(model="rasch").fit(Y)
    assert _corr(irt.ability_, theta) >= 0.9
    assert np.all(irt.discrimination_ == 1.0)
    # girth's conditional maximum likelihood: difficulties free of the ability estimates
    ref = girth.rasch_conditional(Y.T.astype(int))["Difficulty"]
    ours = irt.difficulty_ - irt.difficulty_.mean()
    ref = ref - ref.mean()
    assert _corr(ours, ref) >= 0.998
    # joint estimation inflates the spread by about I / (I - 1) (Andersen), priors shrink it
    slope = float(np.polyfit(ref, ours, 1)[0])
    assert 0.97 <= slope <= 1.08
    assert _corr(ours, b - b.mean()) >= 0.98


def test_2pl_agrees_with_girth_mml_on_a_small_matrix() -> None:
    girth = pytest.importorskip("girth")
    Y, _, a, _b = _simulate(800, 25, seed=3)
    irt = IRT(model="2pl").fit(Y)
    ref = girth.twopl_mml(Y.T.astype(int))  # items x participants; P = sigmoid(a (t - d))
    ref_b = ref["Discrimination"] * ref["Difficulty"]
    assert _corr(irt.discrimination_[:, 0], ref["Discrimination"]) >= 0.97
    assert _corr(irt.difficulty_, ref_b) >= 0.99
    assert _corr(irt.discrimination_, a) >= 0.9


def test_missing_cells_and_fractional_scores() -> None:
    Y, theta, a, b = _simulate(300, 1500, seed=4, missing=0.4)
    irt = IRT(model="2pl").fit(Y)
    assert _corr(irt.ability_, theta) >= 0.98
    assert _corr(irt.difficulty_, b) >= 0.97
    # pass rates over 8 samples: fractional Bernoulli targets carry more information
    rng = np.random.default_rng(5)
    _, theta, a, b = _simulate(200, 1000, seed=6)
    rate = rng.binomial(8, expit(theta @ a.T - b)) / 8.0
    frac = IRT(model="2pl").fit(rate)
    assert not frac.binary_
    assert _corr(frac.ability_, theta) >= 0.99
    assert _corr(frac.discrimination_, a) >= 0.96
    assert _corr(frac.difficulty_, b) >= 0.99


def test_m2pl_recovers_the_ability_subspace() -> None:
    Y, theta, a, b = _simulate(500, 600, seed=7, dims=2)
    irt = IRT(model="m2pl", dims=2).fit(Y)
    assert irt.ability_.shape == (500, 2)
    assert irt.discrimination_.shape == (600, 2)
    assert np.allclose(np.cov(irt.ability_, rowvar=False), np.eye(2), atol=1e-6)
    # abilities are identified up to a rotation: regress each true dimension on the fit
    X = np.column_stack([irt.ability_, np.ones(500)])
    for k in range(2):
        coef = np.linalg.lstsq(X, theta[:, k], rcond=None)[0]
        assert _corr(X @ coef, theta[:, k]) >= 0.95
    assert _corr(irt.difficulty_, b) >= 0.97
    truth = expit(theta @ a.T - b)
    assert _corr(irt.predict_proba(), truth) >= 0.97


# ---------------------------------------------------------------------------- using a fit
def test_item_information_and_estimate_ability() -> None:
    Y, _theta, _, _ = _simulate(200, 300, seed=8)
    irt = IRT(model="2pl").fit(Y)
    grid = np.linspace(-3, 3, 7)
    info = irt.item_information(grid)
    p = irt.predict_proba(grid)
    assert info.shape == (7, 300)
    assert np.allclose(info, p * (1 - p) * irt.discrimination_[:, 0] ** 2)
    # Fisher information is minus the second derivative of the log-likelihood in theta
    k, t, h = 5, 0.3, 1e-4

    def ll(x: float) -> float:
        q = float(irt.predict_proba(np.array([x]), [k])[0, 0])
        return 0.3 * np.log(q) + 0.7 * np.log(1 - q)

    second = (ll(t + h) - 2 * ll(t) + ll(t - h)) / h**2
    assert -second == pytest.approx(float(irt.item_information(np.array([t]), [k])[0, 0]), rel=1e-4)
    assert np.allclose(irt.test_information(grid), info.sum(axis=1))

    # MAP ability of model 3 from 60 items, against scipy's minimiser of the same posterior
    items = np.arange(60)
    est = irt.estimate_ability(Y[3, items], items)
    a, b = irt.discrimination_[items, 0], irt.difficulty_[items]
    var = float(irt.ability_cov_[0, 0])

    def neg_post(x: np.ndarray) -> float:
        z = a * x[0] - b
        return -float(np.sum(Y[3, items] * z - np.logaddexp(0, z))) + x[0] ** 2 / (2 * var)

    ref = optimize.minimize(neg_post, np.zeros(1), method="BFGS")
    assert est.ability[0] == pytest.approx(ref.x[0], abs=1e-5)
    assert est.se[0] == pytest.approx(
        1
        / np.sqrt(var**-1 + np.sum(a**2 * expit(a * ref.x[0] - b) * (1 - expit(a * ref.x[0] - b)))),
        rel=1e-6,
    )
    # EAP against numerical integration of the posterior
    eap = irt.estimate_ability(Y[3, items], items, method="eap")

    def post(x: float) -> float:
        return float(np.exp(-neg_post(np.array([x])) + neg_post(ref.x)))

    z0 = integrate.quad(post, -8, 8)[0]
    m1 = integrate.quad(lambda x: x * post(x), -8, 8)[0] / z0
    m2 = integrate.quad(lambda x: x * x * post(x), -8, 8)[0] / z0
    assert eap.ability[0] == pytest.approx(m1, abs=1e-4)
    assert eap.se[0] == pytest.approx(np.sqrt(m2 - m1**2), abs=1e-4)
    # an all-correct subset stays finite thanks to the prior
    top = irt.estimate_ability(np.ones(10), np.arange(10))
    assert np.isfinite(top.ability).all()
    assert top.ability[0] > 0
    lo, hi = est.confidence_interval()
    assert lo[0] < est.ability[0] < hi[0]
    # the fitted ability of a model is close to re-estimating it with items fixed
    full = irt.estimate_ability(Y[3], None)
    assert full.ability[0] == pytest.approx(irt.ability_[3, 0], abs=0.05)
    assert full.se[0] == pytest.approx(irt.ability_se_[3, 0], rel=0.05)


def test_standard_errors_are_calibrated() -> None:
    # across refits on fresh data with the same items and models, the spread of each
    # ability estimate matches its reported standard error
    rng = np.random.default_rng(9)
    theta = rng.normal(size=(100, 1))
    a = rng.uniform(0.5, 2.0, size=(400, 1))
    b = rng.normal(0, 1.5, size=400)
    p = expit(theta @ a.T - b)
    fits, ses = [], []
    warnings.simplefilter("ignore", DegenerateDataWarning)  # an item may come out constant
    for _ in range(12):
        irt = IRT(model="2pl").fit((rng.random(p.shape) < p).astype(float))
        fits.append(irt.ability_[:, 0])
        ses.append(irt.ability_se_[:, 0])
    ratio = np.std(fits, axis=0, ddof=1).mean() / np.mean(ses)
    assert 0.75 <= ratio <= 1.3


# ---------------------------------------------------------------------------- bad input
def test_bad_input_is_dropped_with_counts_or_rejected() -> None:
    Y, _, _, _ = _simulate(60, 80, seed=10)
    Y = Y[:, np.nanstd(Y, axis=0) > 0]  # keep only informative items, then plant bad ones
    Y[:, 0] = 1.0  # all correct
    Y[:, 1] = 0.0  # all wrong
    Y[:, 2] = np.nan  # no responses
    Y[7, :] = np.nan  # model without responses
    with pytest.warns(DegenerateDataWarning) as record:
        irt = IRT(model="2pl").fit(Y)
    text = " ".join(str(w.message) for w in record)
    assert "1 model(s) and 1 item(s) without any response" in text
    assert "2 item(s)" in text
    assert "1 all-correct, 1 all-wrong" in text
    assert np.isnan(irt.ability_[7]).all()
    assert np.isnan(irt.difficulty_[2])
    assert irt.dropped_models_ == ("7",)
    assert set(irt.dropped_items_) == {"0", "1", "2"}
    assert irt.constant_items_ == ("0", "1")
    p = irt.predict_proba(np.zeros(1), [0, 1])[0]
    assert p[0] > 0.95
    assert p[1] < 0.05

    frac = np.where(np.isnan(Y), np.nan, np.clip(np.nan_to_num(Y) * 0.5 + 0.25, 0, 1))
    with pytest.raises(InputError, match="needs 0/1 scores"):
        IRT(model="2pl", scores="binary").fit(frac[:, 3:])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        IRT().fit(np.array([[0.0, 2.0], [1.0, 0.0]]))
    with pytest.raises(InputError, match="'model' parameter of IRT"):
        IRT(model="3pl").fit(Y)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'dims' parameter"):
        IRT(model="2pl", dims=2).fit(Y)
    with pytest.raises(InputError, match="at least 2 models"):
        IRT().fit(np.ones((5, 4)))
    with pytest.raises(NotFittedError):
        IRT().predict_proba()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        with pytest.warns(ConvergenceWarning):
            IRT(max_iter=1).fit(Y)


# ---------------------------------------------------------------------------- diagnostics
def test_diagnostics_flag_broken_keys_dependence_and_noise() -> None:
    Y, _, _, _ = _simulate(300, 400, seed=11)
    rng = np.random.default_rng(12)
    Y[:, :5] = 1 - Y[:, :5]  # mis-keyed: the better the model, the more often "wrong"
    Y[:, 11] = Y[:, 10]  # a duplicated item
    Y[:, 20] = (rng.random(300) < 0.5).astype(float)  # a coin flip
    irt = IRT(model="2pl").fit(Y)
    diag = irt_diagnostics(irt, Y)
    neg = {d.item for d in diag.flagged("negative_discrimination")}
    assert neg == {"0", "1", "2", "3", "4"}
    pairs = {(p.item_a, p.item_b) for p in diag.local_dependence}
    assert ("10", "11") in pairs
    assert diag.local_dependence[0].q3 == pytest.approx(1.0, abs=1e-6)
    assert abs(diag.q3_mean) < 0.05
    # Rasch cannot give the coin flip a zero slope: it misfits there
    rasch = IRT(model="rasch").fit(Y)
    rdiag = irt_diagnostics(rasch, Y)
    coin = next(d for d in rdiag.items if d.item == "20")
    assert "misfit" in coin.flags
    assert coin.infit > 1.3
    assert {d.item for d in rdiag.flagged("negative_discrimination")} >= {"0", "1", "2"}
    assert rdiag.counts()["negative_discrimination"] >= 5
    cols, rows = diag.to_rows(flagged_only=True)
    assert cols[0] == "item"
    assert rows
    assert "<table>" in diag._repr_html_()
    assert diag.to_dict()["counts"]["local_dependence_pairs"] == diag.n_pairs_flagged


# ---------------------------------------------------------------------------- data in
def test_item_matrix_from_frame_and_store(store: Store) -> None:
    rows = [
        Score("r", m, "t", str(i), "acc", float((i + k) % 3 == 0), sample_index=s)
        for k, m in enumerate(["m1", "m2", "m3"])
        for i in range(6)
        for s in range(2)
    ]
    rows += [Score("r", "m1", "t", "0", "f1", 0.5)]
    store.write({"runs": [Run("r", "test")], "scores": rows})
    with pytest.raises(InputError, match="several metrics"):
        item_matrix(store, task="t")
    # an unknown task is named as such (not as a metric missing from an empty list)
    with pytest.raises(InputError, match="no scored items for task 'nope'"):
        item_matrix(store, task="nope", metric="acc")
    m = item_matrix(store, task="t", metric="acc")
    assert isinstance(m, ItemMatrix)
    assert m.binary
    assert m.models == ("m1", "m2", "m3")
    assert m.items == tuple(sorted(str(i) for i in range(6)))
    assert m.Y[0, m.items.index("3")] == 1.0
    frame = pd.DataFrame(
        {"model_id": ["a", "a", "b"], "item_id": ["x", "y", "x"], "value": [1.0, 0.25, 0.0]}
    )
    fm = item_matrix(frame)
    assert not fm.binary
    assert np.isnan(fm.Y[1, 1])
    assert fm.Y[0, 1] == 0.25
    assert len(fm.to_frame()) == 3
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        item_matrix(frame.assign(value=[1.0, 3.0, 0.0]))


@pytest.mark.shared_data
def test_chembench_2pl_fit_and_flags(shared_data: Path) -> None:
    path = shared_data / "item_level_matrices" / "chembench_binary_long.csv.gz"
    with gzip.open(path, "rt") as fh:
        raw = pd.read_csv(fh)
    frame = raw.rename(columns={"model": "model_id", "score": "value"})
    Y = item_matrix(frame)
    assert Y.shape == (22, 2854)
    assert Y.binary
    with pytest.warns(DegenerateDataWarning, match="every model scored the same"):
        irt = IRT(model="2pl").fit(Y)
    assert irt.converged_
    fitted = irt.ability_[:, 0]
    mean = np.nanmean(Y.Y, axis=1)
    assert _corr(fitted, mean) >= 0.95
    diag = irt_diagnostics(irt, Y)
    counts = diag.counts()
    assert counts["constant"] == len(irt.constant_items_) > 0
    # items that the strongest models get wrong and the weakest right: candidates for
    # broken answer keys
    neg = diag.flagged("negative_discrimination")
    assert 0 < len(neg) < 0.25 * Y.shape[1]
    for d in neg[:20]:
        assert d.item_rest < 0.2


def test_cli_irt_fit(store: Store, tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from assay.cli.irt import app

    Y, _, _, _ = _simulate(30, 60, seed=13)
    Y[:, 0] = 1 - Y[:, 0]
    rows = [
        Score("r", f"m{m}", "t", f"q{i}", "acc", float(Y[m, i]))
        for m in range(30)
        for i in range(60)
    ]
    store.write({"runs": [Run("r", "test")], "scores": rows})
    path = store.path
    store.close()
    root = typer.Typer()
    root.add_typer(app, name="irt")
    res = CliRunner().invoke(root, ["irt", "fit", "--store", path, "--task", "t", "-o", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["abilities"]) == 30
    assert "q0" in {d["item"] for d in data["diagnostics"]["items"] if d["flags"]}
    res = CliRunner().invoke(root, ["irt", "fit", "--store", path, "--model", "3pl"])
    assert res.exit_code != 0
