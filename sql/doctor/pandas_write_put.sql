-- A Parquet file onto the temporary stage, with write_pandas' own PUT options.
PUT %(file_url)s @{database}.MART.DOCTOR_PROBE_STAGE PARALLEL = 4 SOURCE_COMPRESSION = AUTO_DETECT;
