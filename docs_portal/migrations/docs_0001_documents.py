"""Documents: documents, versions, pages with their text, reads, comments; full-text search.

Revision ID: docs_0001_documents
Revises: 0002_congress_public_key

Search is the database's own: an FTS5 table kept in step by triggers on SQLite, a GIN index over
to_tsvector('simple', ...) on PostgreSQL. Both index the pages' folded text (lower case, no
diacritics), so "nghi quyet" finds "Nghị quyết".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "docs_0001_documents"
down_revision = "0002_congress_public_key"
branch_labels = ("docs_portal",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_folded", sa.String(length=300), nullable=False),
        sa.Column("group", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sitting_id", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=12), nullable=False),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("comments_open", sa.Boolean(), nullable=False),
        sa.Column("comments_shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
            name=op.f("fk_documents_congress_id_congresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sitting_id"],
            ["sittings.id"],
            name=op.f("fk_documents_sitting_id_sittings"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_congress_id"), "documents", ["congress_id"])
    op.create_table(
        "document_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["delegates.id"],
            name=op.f("fk_document_comments_delegate_id_delegates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_comments_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_comments")),
    )
    op.create_index(op.f("ix_document_comments_document_id"), "document_comments", ["document_id"])
    op.create_table(
        "document_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegate_id"],
            ["delegates.id"],
            name=op.f("fk_document_reads_delegate_id_delegates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_reads_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reads")),
        sa.UniqueConstraint(
            "document_id", "delegate_id", name=op.f("uq_document_reads_document_id")
        ),
    )
    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=300), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_versions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_sha256"],
            ["stored_files.sha256"],
            name=op.f("fk_document_versions_original_sha256_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["pdf_sha256"],
            ["stored_files.sha256"],
            name=op.f("fk_document_versions_pdf_sha256_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_document_versions_document_id")),
    )
    op.create_table(
        "document_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("width_pt", sa.Float(), nullable=False),
        sa.Column("height_pt", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_versions.id"],
            name=op.f("fk_document_pages_version_id_document_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_pages")),
        sa.UniqueConstraint("version_id", "number", name=op.f("uq_document_pages_version_id")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX document_search_pg ON document_pages "
            "USING gin (to_tsvector('simple', folded))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE document_search USING fts5("
            "folded, content='document_pages', content_rowid='id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER document_search_insert AFTER INSERT ON document_pages BEGIN "
            "INSERT INTO document_search(rowid, folded) VALUES (new.id, new.folded); END"
        )
        op.execute(
            "CREATE TRIGGER document_search_delete AFTER DELETE ON document_pages BEGIN "
            "INSERT INTO document_search(document_search, rowid, folded) "
            "VALUES ('delete', old.id, old.folded); END"
        )
        op.execute(
            "CREATE TRIGGER document_search_update AFTER UPDATE ON document_pages BEGIN "
            "INSERT INTO document_search(document_search, rowid, folded) "
            "VALUES ('delete', old.id, old.folded); "
            "INSERT INTO document_search(rowid, folded) VALUES (new.id, new.folded); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS document_search_pg")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS document_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS document_search")
    op.drop_table("document_pages")
    op.drop_table("document_versions")
    op.drop_table("document_reads")
    op.drop_table("document_comments")
    op.drop_table("documents")
