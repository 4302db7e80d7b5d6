"""django-sessions: the authkit contract served by Django 5.2 LTS with database-backed sessions.

Django 6 needs Python 3.12 and this kit supports 3.11, hence the 5.2 LTS line. The package is
both the Django project (settings, urls, wsgi) and its one app (the user model, migrations).
"""
