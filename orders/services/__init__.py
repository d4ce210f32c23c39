"""Business rules for prebooks, purchase orders and boxes; views and tasks call these."""
