import os


def pytest_configure(config):
    config.dataplane_tool = os.environ.get('DATAPLANE_TOOL', '')
