"""Where predictions meet simulations: one experiment of Section 5 (experiment), eq. (11) against GD's bias and
the eta scan (gd_vs_flow), the edge-of-stability report (stability), the cycle forecast as JSON (large_step)."""
