"""The claims ledger (`lingrok verify`): one check per claim of the paper (claims_*), the verdict thresholds with
their reasons (thresholds), the verdicts' robustness to the paper's unstated choices (robustness), the cached
runs and predictions they share (context) and the records and their rendering (records)."""
