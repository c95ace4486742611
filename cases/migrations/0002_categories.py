from django.db import migrations

# The categories every installation starts with; street staff may edit the list.
CATEGORIES = ["水电气暖", "环境卫生", "设施维修", "邻里纠纷", "安全隐患", "特殊人群关怀", "法律咨询", "其他"]


def add_categories(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for position, name in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
