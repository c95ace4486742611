"""Two notice titles lost their Chinese gloss in the English source ("Follow-up visit due (查单):
…" is now "Follow-up visit due: …"). Rows stored before keep reading in the reader's language
only if their message id is the catalogue's new one."""

from django.db import migrations

RENAMED = {
    "Follow-up visit due (查单): %(code)s": "Follow-up visit due: %(code)s",
    "Escalated to the street (督办): %(code)s": "Escalated to the street: %(code)s",
}


def rename(apps, pairs):
    Notification = apps.get_model("notifications", "Notification")
    for old, new in pairs:
        Notification.objects.filter(title_msgid=old).update(title_msgid=new)
        Notification.objects.filter(body_msgid=old).update(body_msgid=new)


def forwards(apps, schema_editor):
    rename(apps, RENAMED.items())


def backwards(apps, schema_editor):
    rename(apps, ((new, old) for old, new in RENAMED.items()))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0007_notice_message_ids")]

    operations = [migrations.RunPython(forwards, backwards)]
