-- The probe file's lines as the load left them.
SELECT SOURCE_FILE, LINE_NUMBER, LINE FROM {database}.RAW.{lines} ORDER BY LINE_NUMBER;
