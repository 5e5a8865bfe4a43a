-- The build's temp tables, once staging.<kind> and its accounting are committed.
DROP TABLE _typed;
DROP TABLE _ranked;
