"""PostgreSQL: a season's next episode numbers for a new disc in one round trip

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 18:00:00.000000

Every preview of a season queues on its counter's row lock, and on a busy host each
round trip a waiter makes is also a wait for a CPU: a preview of a disc that holds no
numbers yet (nearly all of them) is one function call instead of four statements.
``boz.db.seasons`` calls it and takes its general path when it returns nothing (the
disc already holds numbers). SQLite has no stored functions; it keeps its statements.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each statement of a volatile function takes a new snapshot (READ COMMITTED): after
# waiting for the disc's lock, the look at its episodes sees what the preview it waited
# for committed.
APPEND_EPISODES = """
CREATE FUNCTION boz_append_episodes(
    p_disc integer, p_show varchar, p_season integer, p_slots integer[]
) RETURNS TABLE (slot_title integer, slot_number integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_season integer;
    v_last integer;
    v_count integer := cardinality(p_slots);
BEGIN
    PERFORM FROM discs WHERE id = p_disc FOR NO KEY UPDATE;
    IF NOT FOUND OR v_count = 0 OR EXISTS (SELECT FROM tv_episodes WHERE disc_id = p_disc) THEN
        RETURN;
    END IF;
    SELECT id INTO v_season FROM tv_seasons WHERE show = p_show AND season = p_season;
    IF NOT FOUND THEN
        INSERT INTO tv_seasons (show, season, last_episode_assigned)
        VALUES (p_show, p_season, 0) ON CONFLICT (show, season) DO NOTHING;
        SELECT id INTO v_season FROM tv_seasons WHERE show = p_show AND season = p_season;
    END IF;
    UPDATE tv_seasons SET last_episode_assigned = last_episode_assigned + v_count
    WHERE id = v_season RETURNING last_episode_assigned INTO v_last;
    RETURN QUERY
    INSERT INTO tv_episodes (season_id, number, disc_id, title_id)
    SELECT v_season, v_last - v_count + s.position, p_disc, s.title
    FROM unnest(p_slots) WITH ORDINALITY AS s (title, position)
    RETURNING tv_episodes.title_id, tv_episodes.number;
END
$$
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(APPEND_EPISODES)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION boz_append_episodes(integer, varchar, integer, integer[])")
