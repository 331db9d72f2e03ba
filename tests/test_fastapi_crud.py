"""FastAPI CRUD: eager loading for response models, PATCH/DELETE, rolled-back test sessions."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session


@pytest.fixture
def crud(example):
    return example("web_crud_app")


@pytest.fixture
def engine(db, crud, example):
    engine = example("dbtest_fixtures").make_test_engine(db.url)
    crud.Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(engine, crud):
    with crud.rolled_back_client(engine) as client:
        yield client


def add_writers(client, n):
    for i in range(n):
        body = {"name": f"w{i}", "books": [f"b{i}.1", f"b{i}.2"]}
        assert client.post("/writers", json=body).status_code == 201


@pytest.mark.parametrize("n", [2, 6])
def test_eager_list_is_two_selects_lazy_list_is_n_plus_one(client, engine, example, n):
    count_statements = example("eager_loading").count_statements
    add_writers(client, n)
    with count_statements(engine) as eager:
        body = client.get("/writers").json()
    assert [len(w["books"]) for w in body] == [2] * n
    with count_statements(engine) as lazy:
        assert client.get("/writers-lazy").json() == body
    selects = lambda stmts: [s for s in stmts if s.lstrip().upper().startswith("SELECT")]  # noqa: E731
    assert len(selects(eager)) == 2
    assert len(selects(lazy)) == n + 1


def test_a_response_field_that_was_not_loaded_fails_loudly(client, crud, monkeypatch):
    add_writers(client, 1)

    class WithWriterOfFirstBook(crud.WriterOut):  # a new field reads Writer.books[0].writer
        first_book_writer: str | None = None

        @classmethod
        def model_validate(cls, writer, **kw):
            out = super().model_validate(writer, **kw)
            out.first_book_writer = writer.books[0].writer.name  # not eager-loaded
            return out

    monkeypatch.setattr(crud, "WriterOut", WithWriterOfFirstBook)
    with pytest.raises(Exception, match="'Book.writer' is not available due to lazy='raise'"):
        client.get("/writers")


def test_patch_updates_only_the_fields_sent(client):
    created = client.post("/writers", json={"name": "ada", "bio": "first"}).json()
    url = f"/writers/{created['id']}"
    assert client.patch(url, json={}).json() == created  # nothing sent, nothing changed
    renamed = client.patch(url, json={"name": "ada l."}).json()
    assert (renamed["name"], renamed["bio"]) == ("ada l.", "first")  # bio untouched
    cleared = client.patch(url, json={"bio": None}).json()
    assert (cleared["name"], cleared["bio"]) == ("ada l.", None)  # explicit null clears
    assert client.get(url).json() == cleared
    assert client.patch("/writers/424242", json={"bio": "x"}).status_code == 404


def test_delete_is_204_then_404_and_cascades(client, engine, crud):
    created = client.post("/writers", json={"name": "ada", "books": ["one"]}).json()
    url = f"/writers/{created['id']}"
    deleted = client.delete(url)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert client.delete(url).status_code == 404
    assert client.get(url).status_code == 404


def test_override_rolls_every_request_back(engine, crud):
    with crud.rolled_back_client(engine) as client:
        add_writers(client, 3)
        assert len(client.get("/writers").json()) == 3  # committed requests see each other
    with Session(engine) as session:
        assert session.scalars(select(crud.Writer)).all() == []
        assert session.scalars(select(crud.Book)).all() == []


def test_a_failed_request_does_not_break_the_next_one(client):
    assert client.post("/writers", json={"name": "ada"}).status_code == 201
    assert client.post("/writers", json={"name": "ada"}).status_code == 409  # flush failed
    assert [w["name"] for w in client.get("/writers").json()] == ["ada"]


def test_client_mistakes_are_4xx_not_500(client):
    """A duplicate name (POST or PATCH) is 409 and a null for the NOT NULL name is 422: the
    client's error, caught before the database raises IntegrityError (a 500)."""
    ada = client.post("/writers", json={"name": "ada", "bio": "first"}).json()
    assert client.post("/writers", json={"name": "bob"}).status_code == 201
    url = f"/writers/{ada['id']}"
    duplicate = client.post("/writers", json={"name": "ada"})
    assert (duplicate.status_code, duplicate.json()) == (409, {"detail": "writer 'ada' exists"})
    assert client.patch(url, json={"name": "bob"}).status_code == 409
    null_name = client.patch(url, json={"name": None})
    assert null_name.status_code == 422 and null_name.json()["detail"][0]["loc"][-1] == "name"
    assert client.post("/writers", json={"name": None}).status_code == 422
    assert client.patch(url, json={"bio": None}).status_code == 200  # bio may be null
    assert client.get(url).json()["name"] == "ada"  # every failed request left it alone
