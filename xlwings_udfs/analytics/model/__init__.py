"""The tracking model and its estimation: drift, persistent deviations and timing noise.

Model
-----
With :math:`d_t` the log return difference (fund minus index) and :math:`L_t=\\sum_{s\\le t} d_s`,

.. math::

    L_t = \\mu t + w_t + e_t,\\qquad w_t = w_{t-1} + u_t,\\; u_t \\sim (0, s_u^2),\\qquad
    (1-\\phi B) e_t = (1+\\psi B)\\eta_t,\\; \\eta_t \\sim (0, \\sigma_\\eta^2)

so :math:`d_t = \\mu + u_t + (1-B) e_t`. The drift :math:`\\mu` is the holding cost per period,
the random walk :math:`w` the persistent mis-tracking, and :math:`e` the stationary timing
noise (stale and fair-value prices, different cut-off times). ARMA(1,1) noise covers a
stale price that catches up gradually (:math:`\\phi>0`) or within a few days (:math:`\\psi>0`,
as in a shock absorbed over three days), and a price that overshoots and comes back
(:math:`\\phi<0` or :math:`\\psi<0`: a fair-value correction that goes too far, a close
that bounces; the daily differences then have a lag-1 autocorrelation below -0.5, which no
catching-up noise gives); :math:`\\phi=\\psi=0` is white noise, such as bid-ask bounce in
the levels. Noise that catches up has both coefficients at or above zero; noise that
overshoots one of them below zero, the other zero (AR(1) with :math:`\\phi<0`, an overshoot
that decays, or MA(1) with :math:`\\psi<0`, one undone the next period): with opposite signs
the two factors can cancel (:math:`\\psi=-\\phi` is white noise again), a ridge along which the
likelihood is flat, and over which the profile likelihood of the tracking error becomes
overconfident (its 95% interval covered 75-80% over ten years). (Both negative would be
safe, the two factors' roots then on opposite sides, but such a shape is nearly one of the
two alone, and every shape of the grid costs scan time in every fund.) :math:`\\phi` is
bounded by 0.8 (a half-life of about three periods): noise that
reverts more slowly than that cannot be told apart from persistent deviations in a few years
of data, and is counted as persistent (a quarterly dividend sawtooth in a price-return
comparison, for instance); below by -0.6, :math:`\\psi` by -0.8.

*Returns across gaps.* Where a fund's data have gaps (a missing NAV), a return spans
:math:`k_t \\ge 1` periods of the index's calendar: it carries :math:`k_t` periods of drift
and of persistent deviations, :math:`d_t = k_t\\mu + u_t + (1-B)e_t` with
:math:`\\mathrm{Var}\\,u_t = k_t s_u^2`, while the timing noise, a property of the two
levels compared, does not accumulate. The model is fitted to the returns as they come, one a
step, less :math:`k_t` times their drift per period (:math:`\\sum d/\\sum k`; the mean of a
return varies with its span): the persistent variance it finds per step is
:math:`\\bar k s_u^2` (the mean span times the variance per period, the spans taken as
unrelated to the deviations), so the persistent variances are divided by :math:`\\bar k`.
The drift is :math:`a'd/a'k`, a the weights of the GLS below (its covariance taking the
persistent variance per return as the same for every return): unbiased for the drift per
period whatever the weights; its variance is :math:`a'Sa/(a'k)^2` with S the returns'
covariance in which return t has the persistent variance :math:`k_t s_u^2`. A full series
(every span 1) is estimated exactly as without spans.

*The returns the noise model is fitted to.* Steps 1, 2 and 5 below (the spectrum, its
interval, the fit test), and the dispersion, take a fund's most recent
``definition.fit_lengths(n)`` returns of its n: all of them below 500; from there the largest
11-smooth number (prime factors up to 11) at most n, which leaves out the oldest 0.4-0.7% of
the returns on average, 2.5% at most. The likelihood's tables depend on the length alone, and
funds launched on different days then share them: 137 lengths from five to fifteen years of
daily data, rather than one per launch date. The drift (steps 3 and 4) is estimated from
every return, given that fit.

Estimation
----------
1. *Spectrum: Whittle likelihood with the end effect profiled out.* The spectrum of
   :math:`d` is

   .. math::

       g(\\lambda) = s_u^2 + \\sigma_\\eta^2 k(\\lambda;\\phi,\\psi),\\qquad
       k(\\lambda;\\phi,\\psi) = 2(1-\\cos\\lambda)
       \\frac{1 + 2\\psi\\cos\\lambda + \\psi^2}{1 - 2\\phi\\cos\\lambda + \\phi^2}.

   With :math:`D_j=\\sum_{t=0}^{n-1} d_t e^{-i\\lambda_j t}` at the Fourier frequencies
   :math:`\\lambda_j = 2\\pi j/n`, :math:`j=1..m`, :math:`m=\\lfloor (n-1)/2\\rfloor` (the zero
   frequency, which carries the drift, is left out), differencing gives
   :math:`D_j = U_j + (1-e^{-i\\lambda_j})E_j + \\delta`, with :math:`U_j, E_j` the transforms
   of :math:`u_t` and :math:`e_t`, :math:`t=0..n-1`: the same real number
   :math:`\\delta=e_{n-1}-e_{-1}` (the end effect: the noise in the last level less that in the
   level before the first return) enters every ordinate. Left in the periodogram it is a
   flat floor of about :math:`2\\sigma_e^2/n`, shared by all frequencies, that looks like
   persistent deviations exactly where the noise dominates (scenario "no persistent
   deviation" would show a spurious tracking error, with an overconfident interval). So
   :math:`\\delta` is a nuisance parameter and is profiled out; the rest is the usual Whittle
   likelihood, the ordinates independent complex normals with variance
   :math:`n\\,\\bar g_n(\\lambda_j)`, :math:`\\bar g_n = s_u^2 + \\sigma_\\eta^2 k_n`, where
   :math:`k_n` is the expected periodogram of the differenced noise, the Fejer-smoothed
   noise spectrum
   :math:`|1-e^{-i\\lambda}|^2\\sum_{|h|<n}(1-|h|/n)\\gamma(h)e^{i\\lambda h}` (cf. Sykulski,
   Olhede, Guillaumin, Lilly and Early, 2019, "The debiased Whittle likelihood", Biometrika
   106(2)), :math:`\\gamma` the autocovariances of the noise with unit innovations.

   *Bins.* The lowest 48 frequencies are taken one by one; above them the frequencies are
   grouped into 64 geometrically widening bins (up to :math:`m = 112` every frequency is a
   bin of its own). Within a bin the spectrum is taken as constant, the bin mean
   :math:`\\bar k_b` of :math:`k_n`, so that a bin's ordinates enter through their means
   :math:`\\bar I_b` of :math:`|D_j|^2/n` and :math:`\\bar C_b` of :math:`\\mathrm{Re}\\,D_j/n`,
   with the weight :math:`w_b` of its share of the m frequencies. The ordinates are scaled
   to a unit mean periodogram; the variances found are scaled back.

   *Concentrated objective.* With :math:`g=\\sigma^2 h`, :math:`h_b = q + (1-q)\\bar k_b`,
   :math:`q = s_u^2/(s_u^2+\\sigma_\\eta^2)`, the objective per frequency is
   :math:`\\sum_b w_b[\\log \\sigma^2 h_b + (\\bar I_b - 2\\delta\\bar C_b + \\delta^2/n)/(\\sigma^2 h_b)]`.
   :math:`\\delta` and :math:`\\sigma^2` concentrate out in closed form: with
   :math:`A_1=\\sum_b w_b\\bar I_b/h_b`, :math:`A_2=\\sum_b w_b\\bar C_b/h_b` and
   :math:`A_3=\\sum_b w_b/(n h_b)`, :math:`\\hat\\sigma^2 = S = A_1 - A_2^2/A_3`, leaving
   :math:`\\ell(q,\\phi,\\psi) = \\log S + \\sum_b w_b\\log h_b` (plus 1); :math:`2m` times a
   difference of :math:`\\ell` is a likelihood ratio.

   *Grid and refinement.* :math:`\\ell` is evaluated on a fixed grid (``definition.GRID``):
   195 values of q (193 uniform in logit q from -14 to 10, and 0 and 1) times three blocks of
   noise shapes: noise that catches up (:math:`\\phi` from 0 to 0.8 in steps of 0.1 times
   :math:`\\psi` from 0 to 0.9 in steps of 0.15), and noise that overshoots, :math:`\\phi` from
   -0.6 to 0 in steps of 0.15 with :math:`\\psi=0`, and :math:`\\psi` from -0.8 to 0 in steps
   of 0.2 with :math:`\\phi=0` (73 shapes, white noise in each block). Within the block
   of the grid minimum, along each axis separately, the vertex of the parabola through the
   grid minimum and its two neighbours on that axis refines the minimum (where it is inside
   the block and the three values curve upward), the point read off the grid values by
   linear interpolation in the index; the refined point is kept unless its objective is
   higher than the grid minimum's.

   *White noise unless the data say otherwise.* The noise shape costs two parameters, as
   many on sixty returns as on three thousand. On a short history the full model spends the
   data on a shape it cannot pin down: it can put the noise's power at low frequencies
   (:math:`\\phi` near 0.8) and read persistent deviations as noise, which made the tracking
   error exactly zero in 11% of funds with a true 2% at 60 returns, its RMSE 1.4 times that
   of the true model's exact likelihood. So white noise (the column :math:`\\phi=\\psi=0` of
   the grid, its minimum refined along q) is the model unless the full model beats it by a
   likelihood ratio :math:`2m(\\ell_{white}-\\ell_{full})/c` (c the dispersion below) above
   ``CHI2_SELECT`` = 9.21, the 99% point of chi2(2): a test of white noise at 1%. It keeps
   white noise in about 99% of funds whose noise is white, whatever the length, and rejects
   it in every fund of the scenarios whose noise catches up or overshoots over three years.
   A fixed level rather than an information criterion (BIC's penalty grows with log m): on a
   long history a mild noise shape is still found, and the choice is the same test at every
   length. The estimate, the profile and the interval are then those of the model kept.
2. *Interval for* :math:`s_u^2`: the 95% likelihood-ratio (profile) interval, from the same
   grid. For :math:`s_u^2=v` (so :math:`\\sigma^2=v/q`) the objective before :math:`\\sigma^2`
   is concentrated out is :math:`\\log v-\\log q+LD(q)+S(q)q/v`, :math:`LD=\\sum_b w_b\\log h_b`,
   with :math:`(\\phi, \\psi)` on their profile ridge: at each grid q, :math:`\\ell` minimized
   over :math:`\\psi` (at each :math:`\\phi`) and then over :math:`\\phi` by parabolas as above,
   LD read at the same places by linear interpolation, :math:`S(q)=e^{\\ell - LD}`. Its
   minimum over q > 0 (a parabola in the q index) is the profile :math:`P(v)`, at 151
   log-spaced v from :math:`10^{-7}` to :math:`10^{0.5}` times the mean periodogram; the
   likelihood ratio is :math:`LR(v) = 2m(P(v) - 1 - \\ell_{min})`, :math:`\\ell_{min}` the lower
   of the refined minimum and :math:`\\min P - 1`. (With several blocks of shapes, the ridge at
   each q is that of the block whose least grid value, before the parabola over
   :math:`\\phi`, is the lower.) The interval runs from the first to the last v with LR/c at
   most 3.84 (c the dispersion below), each end where LR/c crosses 3.84 by linear
   interpolation in log v, and always contains the estimate. Zero, a boundary value, is tested against the
   50:50 chi2(0)/chi2(1) mixture: the interval starts at zero when LR/c at q = 0 is at most
   2.71 (or LR/c is within 3.84 at the lowest v). Read off the grid points alone, the profile
   would be inflated by the grid spacing by about one unit of LR, enough to make a 95%
   interval cover 85%; the parabolas remove that. Unlike a Wald interval it is skewed like
   the estimate and reaches zero when the data allow it.

   *A changing variance.* Whittle's likelihood takes the Fourier ordinates as independent,
   which they are for any stationary series, fat-tailed or not. When the variance changes
   over time (a crisis: the deviations and the noise several times as volatile for weeks),
   ordinates at nearby frequencies move together: the score of the likelihood varies
   :math:`c = E[\\sigma_t^4]/E[\\sigma_t^2]^2` times as much as its curvature says (the
   sandwich of a quasi-likelihood whose weights change slowly across frequencies), and a
   likelihood ratio is c times too large; read as it is, the 95% interval covered 70% through
   a crisis. :math:`c - 1 = \\mathrm{Var}(\\sigma_t^2)/E[\\sigma_t^2]^2` is read off the means
   of the squared demeaned returns over consecutive blocks of 21 returns: the mean product of
   the deviations of neighbouring blocks' means from the overall mean square, over its
   square. A variance that changes over weeks moves neighbouring blocks together; the
   sampling error of a block's mean, timing noise (which correlates the squares over a few
   lags) and fat tails do not. c is at least 1, and 1 with fewer than four blocks
   (``reference.dispersion``; a filter of the squares at lags 4 to 20 measured the same but
   cost a tenth of a panel's time). The likelihood ratios are divided by c, for the interval and
   for the choice of white noise (read as they are, a crisis made the full noise model look
   better than it is, and its tracking error was the worse for it, RMSE 9% above); the
   estimate within a model, and the mean of :math:`s_u^2` below, are left as they are.
3. *Drift: GLS.* :math:`(1-\\phi B)(d_t-\\mu) = (1-\\phi B)u_t + (1-B)(1+\\psi B)\\eta_t` is a
   moving average of order 2: :math:`y_t = d_{t+1}-\\phi d_t = (1-\\phi)\\mu + x_t`,
   :math:`t=0..n-2`, where :math:`x` has autocovariances
   :math:`c_0 = s_u^2(1+\\phi^2)+\\sigma_\\eta^2(1+(1-\\psi)^2+\\psi^2)`,
   :math:`c_1 = -\\phi s_u^2-\\sigma_\\eta^2(1-\\psi)^2`, :math:`c_2=-\\psi\\sigma_\\eta^2` and none
   beyond lag 2 (a banded covariance matrix C). The innovations before the sample, which
   enter :math:`y_0` and :math:`y_1` only, are left free (the initial state is not assumed
   stationary): the regressors X are the constant :math:`1-\\phi` and indicators of
   :math:`t=0` and :math:`t=1`. The drift is the first coefficient of
   :math:`(X'C^{-1}X)^{-1}X'C^{-1}y`, and :math:`[(X'C^{-1}X)^{-1}]_{11}` its variance given
   the spectrum. Leaving the initial state free matters: when the noise dominates, the GLS
   drift approaches the slope of a trend line through the levels, whose error shrinks like
   :math:`n^{-3/2}`, against :math:`n^{-1}` for the point-to-point figure.
4. *Standard error of the drift.* :math:`s_u^2` is itself uncertain, and an estimate at
   zero would make the variance above far too small (the drift of a fund with undetected
   persistent deviations would look precise). The reported variance is averaged over that
   uncertainty: it is linear in :math:`s_u^2`, so it adds
   :math:`(\\bar s_u^2-\\hat s_u^2)\\lVert a\\rVert^2`, with :math:`a` the weights of the
   estimate on d and :math:`\\bar s_u^2` the mean of :math:`s_u^2` under the normalized profile
   likelihood :math:`e^{-LR/2}` with a flat prior on :math:`s_u` (the tracking error): weights
   :math:`e^{-LR(v)/2}\\sqrt v` on the log-spaced v. With no persistent deviation at all, this
   makes the interval conservative.

5. *A test of the fit.* Under the model, the returns whitened by the fitted spectrum are
   uncorrelated: their periodogram :math:`u_j = |D_j-\\hat\\delta|^2/(n\\,h_j)` is flat, h the
   fitted shape :math:`q+(1-q)k_n` at each frequency and :math:`\\hat\\delta` the end effect.
   Their autocorrelations are read off it, :math:`r_l=\\sum_j u_j\\cos(\\lambda_j l)/\\sum_j u_j`
   (the cosine transform of a periodogram is the circular sample autocorrelation), and
   :math:`Q = n\\sum_{l=1}^{H} r_l^2/c` (Box and Pierce, over the dispersion c, which inflates
   Q as it does a likelihood ratio), H = ``FIT_TEST_LAGS`` = 3, is compared with chi2 with H
   less the parameters of the dynamics fitted (1 for white noise, 3 otherwise; at least 1)
   degrees of freedom. From the periodogram the fit already has, it costs a few passes over
   the frequencies (whitening the returns in time would cost two more Fourier transforms per
   fund). Three lags because what the model cannot describe and that matters for its figures,
   persistent deviations with momentum (increments that continue, their long-run volatility
   above their one-period one), shows in the first few lags: against momentum of 0.5 over
   three years the test rejects at 1% in 62% of funds with three lags, a third with ten (the
   further lags add chi2 noise, not signal). At 1% it rejects 0.3-1.8% of funds where the
   model holds, 6% through a crisis.

A fund whose returns are all equal tracks exactly: every figure of its fit is zero, and its
drift is that return, with a standard error of zero.

Layout
------
* ``spectrum``: the model's mathematics (frequencies, bins, binned ordinates, the noise
  kernel in closed form, the MA(2) autocovariances); ``definition``: the result, the grid,
  the test levels.
* ``reference`` and ``reference_gls``: the estimator written plainly, one fund at a time, in
  double precision, each step one of the equations above (the fit, the dispersion and the
  fit test; the GLS drift by a dense solve): the definition the fast path is tested against.
* The fast path, for panels of funds of any lengths: ``fast_kernel`` (the kernel of many
  lengths at once), ``fast_grid`` (the single-precision scan of the grid near the minimum,
  double precision for the few funds that need it), ``fast_fit`` (``fit_noise_model``: the
  scan per length, refinement and profile interval for all funds at once), ``fast_checks``
  (the dispersion and the fit test of every fund at once) and ``fast_gls`` (``gls_drift``:
  the GLS by a whitening recursion, the weights filtered by FFT or, for a wide block of
  funds, by the recursion; where the recursion's response dies out early, from the ends of
  the data and their sum). Each says what it speeds up, why it is exact or how close, and
  what its plain equivalent is.

``fit_noise_model`` and ``gls_drift`` take one column per fund, columns of different lengths
each filling its column from the top, and the spans of the returns; the fit carries the fit
test's p-values. ``reference.fit_noise_model``, ``reference_gls.gls_drift`` and
``reference.fit_test`` take one fund.
"""
from __future__ import annotations

from . import reference, reference_gls
from .definition import MIN_RETURNS, NoiseModelFit
from .fast_fit import fit_noise_model
from .fast_gls import gls_drift

__all__ = ["NoiseModelFit", "fit_noise_model", "gls_drift", "MIN_RETURNS", "reference", "reference_gls"]
