"""Every definition of the code location, one folder or module per concern, loaded by dg.

reference/ and transactions/ load the inputs, mart/ builds and audits the views,
snapshot/ publishes the monthly files; jobs.py, schedules.py, bucket_sensor.py and
alerts/ run and watch them. Each module builds its definitions from the settings
when the code location loads (see ../definitions.py).
"""
