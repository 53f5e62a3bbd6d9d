"""`lingrok reproduce`: the paper's setups for Table 1 and Figs. 1, 2, 4 (runs), their archive with the code's
fingerprint (archive), and the Markdown report and figures rendered from it (report, figures)."""
