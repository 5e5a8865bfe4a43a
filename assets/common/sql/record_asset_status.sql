-- The newest outcome of an asset, replacing the previous one.
INSERT OR REPLACE INTO quality.asset_status
VALUES ($asset, $status, $message_en, $message_zh, $detail, $as_of);
