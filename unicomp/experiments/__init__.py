"""Reproductions of the paper's experiments (Figs. 2-8).

Each module runs one experiment at a quick tier (minutes on 2 CPU cores) or the paper's full scale and
returns its data together with a matplotlib figure; ``paper_checks/`` turns the data into verdicts.
"""
