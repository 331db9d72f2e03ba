"""The schema reset drops everything: it must refuse a database that is not a test database."""

import conftest
import pytest

# Port 1: nothing listens there, so a missing guard fails on connecting, never drops anything.
NOT_A_TEST_DATABASE = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/production",
    "mariadb": "mysql+pymysql://root@127.0.0.1:1/shop",
}


@pytest.mark.parametrize("backend", sorted(NOT_A_TEST_DATABASE))
def test_reset_refuses_a_database_without_test_in_its_name(backend):
    reset = {"postgresql": conftest._reset_postgresql, "mariadb": conftest._reset_mariadb}[backend]
    with pytest.raises(pytest.fail.Exception, match="does not contain 'test'") as caught:
        reset(NOT_A_TEST_DATABASE[backend])
    assert "\n" not in str(caught.value)  # one line
