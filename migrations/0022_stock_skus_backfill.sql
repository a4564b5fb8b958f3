-- SKUs already known from their drift rows; every other SKU lists itself from its object's next alarm.
INSERT OR IGNORE INTO `stock_skus` (`tenant_id`, `sku`, `since`) SELECT `tenant_id`, `sku`, MIN(`recorded_at`) FROM `inventory_drift` GROUP BY `tenant_id`, `sku`;
