"""Screening many households: tables in and out, the kartlegging, the impact of a rule change, Dask.

Built on the columnar backend (`boligregler.evaluation.columnar`); needs the `screening` extra
(numpy, pyarrow, dask, openpyxl).
"""
