-- The stage lists the bucket's reference/ folder: the storage integration's trust works.
LIST @{database}.RAW.INPUT_STAGE/reference/;
