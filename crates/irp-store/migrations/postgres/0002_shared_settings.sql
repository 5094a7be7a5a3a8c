-- Settings every portal node must share (10-decisions.md §2). The first node to start records
-- them; a node whose shared settings differ refuses to start, unless the operator replaces them.
CREATE TABLE registry_settings (
    name       TEXT      NOT NULL PRIMARY KEY,
    value      TEXT      NOT NULL,
    updated_at TIMESTAMP NOT NULL     -- IST
);
