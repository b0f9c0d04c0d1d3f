variable "db_password" {
  description = "Master password of the RDS instance"
  type        = string
  sensitive   = true
}

resource "aws_db_instance" "orders" {
  identifier              = "orders-prod"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.t3.medium"
  allocated_storage       = 100
  username                = "orders"
  password                = var.db_password
  backup_retention_period = 7
  skip_final_snapshot     = false
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id = "orders-cache"
  description          = "orders cache"
  auth_token           = random_password.cache.result
  transit_encryption_enabled = true
}

resource "random_password" "cache" {
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret_version" "api" {
  secret_id     = aws_secretsmanager_secret.api.id
  secret_string = jsonencode({ api_token = local.api_token })
}

provider "vault" {
  address = "https://vault.internal:8200"
  token   = "hvs.CAESIJ7x2Lq9mW4kR8tY3uV6zN1bP5cF0gH"
}

resource "kubernetes_secret" "registry" {
  metadata {
    name = "registry-auth"
  }
  data = {
    password = "Reg-Pull-7731x"
  }
}

locals {
  api_token      = data.vault_generic_secret.api.data["token"]
  admin_password = "${var.admin_password_prefix}-prod"
}
