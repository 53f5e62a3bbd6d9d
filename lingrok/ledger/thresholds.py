"""Every verdict threshold of the claims ledger, in one place, each with the reason for its size.

The claim checks (``lingrok/ledger/claims_*.py``) import these names; none is fitted to an outcome:
each size comes from an error term (solver residuals, discretisation, sampling error, finite-time
transients) or from the paper's own wording ("of order 100", "coincides"), and was fixed before the
ledger was run with it. Method parameters (windows, sample counts, start points) that are not
thresholds but shape what a check measures are grouped with the thresholds of their claim.
"""

from __future__ import annotations

__all__ = [
    "THM43_GAP_TOL",
    "THM43_CONTROL_MIN_GAP",
    "RATE_RTOL",
    "KICK_BIG_RTOL",
    "KICK_LOGISTIC_FACTOR",
    "KICK_STABILITY_FACTOR",
    "KICK_G_MAX",
    "KICK_MAX_STEPS",
    "KICK_FIT_LO",
    "KICK_FIT_HI",
    "CLOSED_FORM_ODE_RTOL",
    "LIMIT_KICK_RTOL",
    "EQ14_RTOL",
    "EQ14_ATOL",
    "EQ14_BALANCED_SCALE",
    "EQ14_CATCH_RTOL",
    "EQ14_WINDOW_DECADES",
    "PHASE2_RISE",
    "PHASE3_FALL",
    "PHASE3_SLOPE_RTOL",
    "PHASE2_DIP",
    "HEADLINE_FACTOR",
    "APPA2_SIGMAS",
    "REM47_MIN_SHARE",
    "PHASE_TIME_RTOL",
    "PHASE_END_FACTOR",
    "PHASE_STEP_SLACK",
    "ZETA_GROK",
    "PARITY_TOL",
    "FIG2_LEVEL",
    "FIG4_DRIFT_FACTOR",
    "PGD_EPS",
    "PGD_COINCIDE_DECADES",
    "IDENTITY_RTOL",
    "CONTROL_MIN_OFFSET",
    "GD_LIMIT_RTOL",
    "T_TE_RTOL",
    "FLOW_STATE_RTOL",
    "EOS_END_LOW",
    "EOS_END_HIGH",
    "EOS_SAMPLES",
    "EOS_SV_SHARPNESS",
]

# ---------------------------------------------------------------- Theorem 4.3 (claims_geometry)

# ||(w7, b7) - (w9, b9)|| / ||(w9, b9)|| below which eq. (7) and eq. (9) count as equal: both QPs are
# solved to KKT residuals <= 1e-10 (theory.geometry.QP_KKT_TOL); a factor 10 for conditioning.
THM43_GAP_TOL = 1e-9
# A control with b_s != 0 must show a gap above this, else the comparison could not fail: 1e-3 is six decades
# above THM43_GAP_TOL, so a control that passes it cannot be solver noise.
THM43_CONTROL_MIN_GAP = 1e-3

# ---------------------------------------------------------------- Theorem 4.5 and eq. (14) (claims_bias)

# Measured kick relaxation rate vs 2 eta sqrt(A+ A-): the kick also moves w through the off-diagonal
# of M = sum alpha_s z_s z_s^T (eq. (10) holds w fixed, Assumption 4.4); ~5% on S(35, 20).
RATE_RTOL = 0.10
# Large kick (c0 = 1): max |b_GD - b_eq11| / c0 over the window; same coupling, nonlinear.
KICK_BIG_RTOL = 0.05
# Start of the kick runs: eta k0 >= KICK_LOGISTIC_FACTOR max alpha_s (logistic = exponential to 1e-3)
# and k0 >= KICK_STABILITY_FACTOR lambda_max(M) (GD on the asymptote is stable, |1 - lambda/k| < 0.05).
KICK_LOGISTIC_FACTOR = 1e3
KICK_STABILITY_FACTOR = 20.0
# Window: until the corrected g = 2 eta sqrt(A+ A-) log(k/k0) reaches this (b - b_inf ~ e^-8).
KICK_G_MAX = 8.0
# A kick window longer than this many GD steps means the predicted rate is far off (or the set is
# degenerate): the check raises instead of running for hours (~8 k0 / rate steps are expected).
KICK_MAX_STEPS = 20_000_000
# The slope fit uses |delta b| between these fractions of the small kick (linear regime, above rounding).
KICK_FIT_LO, KICK_FIT_HI = 1e-5, 0.5
# eq. (11) against an independent ODE solve (DOP853 at rtol 1e-13): global error ~1e-11.
CLOSED_FORM_ODE_RTOL = 1e-9
# After the kick window the kicked run must be back at b_tilde = -log delta within this fraction of c0.
LIMIT_KICK_RTOL = 0.01
# eq. (14) vs GD's bias in the population-dominated window: relative agreement, and absolute
# agreement (logit units) where eq. (14) predicts ~0 (balanced classes).
EQ14_RTOL = 0.25
EQ14_ATOL = 0.05
# eq. (14)'s "0 for balanced classes" against GD's measured bias on a balanced set: |b| <= this / sqrt(n)
# (n points per class). The two classes' populations are drawn from mirror-image laws, so A+ / A- = 1 +
# O(1/sqrt(n)) from sampling alone and eq. (14)'s b = (1/2) log(A+/A-) is O(1/(2 sqrt(n))) with terms
# e^{-w^T x} of relative spread <= 1; a larger |b| is a real class asymmetry that eq. (14) does not predict.
EQ14_BALANCED_SCALE = 0.5
# b has caught up with its moving steady state when |b - b_log| <= this fraction of |b_log|.
EQ14_CATCH_RTOL = 0.05
EQ14_WINDOW_DECADES = 1.5

# ---------------------------------------------------------------- phases, Theorem 4.6, Appendix A.2, Remark 4.7 (claims_grokking)

# Phase 2 pushes the hyperplane away from the origin: |b|/||w|| at its peak is at least this
# multiple of its value when phase 1 ends. A factor 2 is the smallest change that reads as "grows" at
# checkpoint resolution (20 per decade: |b|/||w|| moves by ~12% between checkpoints when it drifts like log t).
PHASE2_RISE = 2.0
# Phase 3 brings it back: |b|/||w|| at the end of the run is at most the peak divided by this (the same
# factor 2 as PHASE2_RISE: a decay, not a checkpoint-to-checkpoint wobble).
PHASE3_FALL = 2.0
# Phase 3: ||w|| grows like ||w_hat|| log t (Theorem 4.1); the slope over the last decade of the run
# is within this fraction of ||w_hat||: at finite t, rho(t) still moves toward theta_tilde along
# -w_hat (the transient of corr-c), which lowers the slope (0.5-0.9 ||w_hat|| at the ends of the
# stable runs); a saturating or power-law ||w|| would be far outside.
PHASE3_SLOPE_RTOL = 0.6
# "Test accuracy falls" in phase 2: the concentrated accuracy drops by at least this much between
# two checkpoints of phase 2 (largest decline within [t1, t2]); 0.02 = 20 points of 1000.
PHASE2_DIP = 0.02
# The headline of Theorem 4.6 counts as a prediction if it is within this factor of the measurement: the
# settled time is located between checkpoints 20 per decade apart (a factor 1.12), and the paper reports
# its times to the decade, so a factor 2 is generous to it while far below the e^25 width of the bracket.
HEADLINE_FACTOR = 2.0
# Appendix A.2's accuracy formula vs a finite test set: binomial standard errors (+ 1/n for ties).
APPA2_SIGMAS = 5.0
# Remark 4.7 (T_gr ~ T_te): the grokking time is at least this fraction of T_te; "T_te >> T_tr" read as
# loosely as possible while still meaning T_tr is not the larger part of T_te.
REM47_MIN_SHARE = 0.5
# ---- issue 13: theory.phases' finite-time predictions vs GD at step resolution (thresholds fixed before
# the ledger was run with them; none is taken from an observed value).
# T_tr and T_te: predicted within this relative error of GD's. Issue 13's tolerance for the grokking times
# (the same 25% as T_TE_RTOL of corr-c); judged only where theory.phases' own stated error is within it.
PHASE_TIME_RTOL = 0.25
# phase1_end and phase2_end: predicted within this factor of GD's. Issue 13: a phase boundary is a scale,
# not an instant (the paper quotes its windows to the decade, 5e3 and 5e4); phase 2's end is the argmax of
# a flat maximum, whose stated error theory.phases widens to every step near the maximum. Judged only where
# the stated error is at most PHASE_END_FACTOR - 1 (the relative error at which the stated bracket's upper
# end reaches the factor).
PHASE_END_FACTOR = 2.0
# Grid term of every comparison, in GD steps: theory.phases locates each crossing to one GD step and the
# measurement resolves it to one step (numerics.phases), so the bracket is [T (1 - err) - 1, T (1 + err) + 1].
PHASE_STEP_SLACK = 1

# ---------------------------------------------------------------- Appendix B, Table 1, Figures 2 and 4, Section 6 (claims_experiments)

# Grokking means zeta = T_te / T_tr of order 100 or more (Definition 3.4 and the text after it).
ZETA_GROK = 100.0
# |b(t+1) - b(t)| at the end of a run (logit units) below which GD has no period-2 cycle: a smooth
# trajectory moves b by ~|db/dlog t| / t per step, far below this at t >= 1e5.
PARITY_TOL = 1e-6
# Figure 2: the grokking time compared across SV imbalance is the settled time of the concentrated
# accuracy at this level (robust to an early transient peak, e.g. a perfect first step).
FIG2_LEVEL = 0.95
# Figure 4: the early bias of a class-imbalanced set is at least this multiple of the balanced one's. The
# balanced set's bias is sampling noise, O(1/sqrt(n)) (EQ14_BALANCED_SCALE); eq. (14) gives (1/2) log 3 = 0.55
# for 150/50 classes, ~10x that noise at n = 100, so a factor 3 separates a drift from noise with margin.
FIG4_DRIFT_FACTOR = 3.0
# Section 6: eps for the PGD-accuracy time (1% of its sup: the attack's accuracy is noisy at the 0.1% level).
PGD_EPS = 0.01
# "Coincides": the PGD-accuracy time and the start of phase 3 within this many decades.
PGD_COINCIDE_DECADES = 1.0

# ---------------------------------------------------------------- corrected predictions (claims_corrected)

# b_tilde - b_inf vs -artanh(b_hat / ||theta_hat||^2) and vs 0: both sides come from theta_tilde,
# accurate to ~1e-12 relative (theory.residual); 1e-9 absolute (logit units) leaves margin.
IDENTITY_RTOL = 1e-9
# The control with b_hat != 0 must separate b_tilde from -log delta by at least this (logit units): seven
# decades above IDENTITY_RTOL, so the identity check could be seen to fail.
CONTROL_MIN_OFFSET = 1e-2
# GD's b(t) - b_hat log t at the end of the control run must be closer to b_tilde than this
# fraction of |b_tilde - b_inf| (so GD's limit is b_tilde, not -log delta).
GD_LIMIT_RTOL = 0.1
# Predicted vs measured grokking time (settled concentrated accuracy): relative tolerance.
T_TE_RTOL = 0.25
# Gradient flow vs GD in the stable regime: max |b_GD - b_flow| and | ||w||_GD - ||w||_flow | relative to
# max |b| and ||w|| over the run. GD is forward Euler on the flow; its global error is O(eta lambda) of
# the trajectory's curvature, measured ~1e-3 at eta lambda_max(H0) = 1.
FLOW_STATE_RTOL = 0.02
# Free-running GD from w = 0 at eta lambda_max(H0) > 2: the period-2 cycle ends at this fraction of
# the logistic t_EoS (theory.stability): the cycle pushes w ahead of the smooth path, so it ends up to
# ~45% early (0.55-1.03 measured on eleven planted 2-D sets, checks/tolerances.py EOS_FREE_R).
EOS_END_LOW = 0.5
EOS_END_HIGH = 1.1
# Samples (triples of consecutive steps) per run when locating the end of the cycle.
EOS_SAMPLES = 40
# eta * lambda_max of the support vectors' Hessian at theta = 0 in the edge-of-stability check (> 2).
EOS_SV_SHARPNESS = 4.0
