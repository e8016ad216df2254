-- Roundabout's schema for Orleans' ADO.NET clustering provider (Microsoft.Orleans.Clustering.AdoNet,
-- invariant "Npgsql") on PostgreSQL. A silo started with UsePostgresClustering runs this script
-- itself; run it by hand when the silos' database user may not create tables.
--
-- The provider sends no SQL of its own: it reads the statements below from OrleansQuery by key,
-- binds parameters by name and reads results by column name, so those names are a contract. The
-- table and column names are the ones Orleans' own scripts use, so a database prepared with those
-- scripts works unchanged: tables are created only when missing, and a statement only when missing
-- or written by an earlier version of this script.
--
-- The membership protocol in one paragraph: each cluster (DeploymentId = ClusterOptions.ClusterId)
-- has one version row. Every insert or update of a silo's row names the version it read and bumps
-- it, in the same statement, so of two silos that change the table from the same version exactly
-- one succeeds; the other reads again. Liveness heartbeats (IAmAliveTime) do not touch the version.

CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable (
    DeploymentId varchar(150)   NOT NULL PRIMARY KEY,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable (
    DeploymentId varchar(150)   NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      varchar(45)    NOT NULL,
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,
    SuspectTimes varchar(8000)  NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- A cluster's version row, created once; answers 1 when this call created it, else 0.
('InsertMembershipVersionKey', '-- roundabout
    WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1)
    SELECT count(*) FROM created;'),

-- A silo's row, only if the version is still @Version and the row does not exist yet; the version
-- moves on in the same statement. Answers 1 or 0.
('InsertMembershipKey', '-- roundabout
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId AND Version = @Version
          AND NOT EXISTS (
              SELECT 1 FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation)
        RETURNING DeploymentId),
    inserted AS (
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
        SELECT DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, @StartTime, @IAmAliveTime
        FROM bumped
        ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
        RETURNING 1)
    SELECT count(*) FROM inserted;'),

-- A silo's status and suspicions, only if the version is still @Version and the row exists. The
-- row is locked first, so it cannot vanish (a cleanup) between the version's move and its update:
-- a refused update changes nothing. A heartbeat newer than the caller's copy is kept.
('UpdateMembershipKey', '-- roundabout
    WITH member AS (
        SELECT DeploymentId FROM OrleansMembershipTable
        WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
        FOR UPDATE),
    bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId AND Version = @Version AND EXISTS (SELECT 1 FROM member)
        RETURNING DeploymentId),
    updated AS (
        UPDATE OrleansMembershipTable AS target
        SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = GREATEST(target.IAmAliveTime, @IAmAliveTime)
        FROM bumped
        WHERE target.DeploymentId = bumped.DeploymentId
          AND target.Address = @Address AND target.Port = @Port AND target.Generation = @Generation
        RETURNING 1)
    SELECT count(*) FROM updated;'),

-- A heartbeat: no version check, no version change.
('UpdateIAmAlivetimeKey', '-- roundabout
    UPDATE OrleansMembershipTable
    SET IAmAliveTime = @IAmAliveTime
    WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;'),

-- One silo's row with the table's version. The version row comes back even when the silo has
-- no row (the member columns are then null), because the provider reads the version from it.
('MembershipReadRowKey', '-- roundabout
    SELECT version.DeploymentId, member.Address, member.Port, member.Generation, member.SiloName,
           member.HostName, member.Status, member.ProxyPort, member.SuspectTimes, member.StartTime,
           member.IAmAliveTime, version.Version
    FROM OrleansMembershipVersionTable AS version
    LEFT JOIN OrleansMembershipTable AS member
        ON member.DeploymentId = version.DeploymentId
       AND member.Address = @Address AND member.Port = @Port AND member.Generation = @Generation
    WHERE version.DeploymentId = @DeploymentId;'),

-- Every silo's row, each with the table's version (one row with null members for an empty cluster).
('MembershipReadAllKey', '-- roundabout
    SELECT version.DeploymentId, member.Address, member.Port, member.Generation, member.SiloName,
           member.HostName, member.Status, member.ProxyPort, member.SuspectTimes, member.StartTime,
           member.IAmAliveTime, version.Version
    FROM OrleansMembershipVersionTable AS version
    LEFT JOIN OrleansMembershipTable AS member ON member.DeploymentId = version.DeploymentId
    WHERE version.DeploymentId = @DeploymentId;'),

-- The gateways a client may connect to: silos in @Status (Active) that accept clients.
('GatewaysQueryKey', '-- roundabout
    SELECT Address, ProxyPort, Generation
    FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;'),

-- Rows of silos declared dead (status 6) that neither started nor beat after @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', '-- roundabout
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId AND Status = 6
      AND IAmAliveTime < @IAmAliveTime AND StartTime < @IAmAliveTime;'),

-- One dead silo's row, only if it is still exactly as the caller read it (newer providers read
-- the rows, choose, and remove each with this; a row changed meanwhile stays).
('CleanupDefunctSiloEntryKey', '-- roundabout
    DELETE FROM OrleansMembershipTable
    WHERE DeploymentId = @DeploymentId AND Status = 6
      AND Address = @Address AND Port = @Port AND Generation = @Generation
      AND StartTime = @StartTime AND IAmAliveTime = @IAmAliveTime
      AND coalesce(SuspectTimes, '''') = coalesce(@SuspectTimes, '''');'),

-- A whole cluster's membership, for tests and tools that reset a deployment.
('DeleteMembershipTableEntriesKey', '-- roundabout
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;')

-- A statement this script wrote (it starts with the marker above) is replaced by this version's;
-- one from elsewhere (Orleans' own scripts, a database administrator) is left as it is.
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText
WHERE OrleansQuery.QueryText LIKE '-- roundabout%';
