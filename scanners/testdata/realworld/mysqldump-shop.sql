-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
-- Server version	8.0.36-0ubuntu0.22.04.1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;

--
-- Table structure for table `customers`
--

DROP TABLE IF EXISTS `customers`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `customers` (
  `id` int NOT NULL AUTO_INCREMENT,
  `birth` date DEFAULT NULL,
  `addr_line1` varchar(128) DEFAULT NULL,
  `mobile` varchar(20) DEFAULT NULL,
  `country` char(2) DEFAULT NULL,
  `social` varchar(11) DEFAULT NULL,
  `ssn_last4` char(4) DEFAULT NULL,
  `dx_code` varchar(8) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `customers`
--

LOCK TABLES `customers` WRITE;
/*!40000 ALTER TABLE `customers` DISABLE KEYS */;
INSERT INTO `customers` VALUES (1,'1984-03-12','742 Evergreen Terrace','090-1234-5678','JP','536-22-8741','8741','E11.9'),(2,'1979-11-02','18 Birch Lane','13812345678','CN',NULL,'1123','J45.909'),(3,'1992-07-30','1 Main Street','09-7625400','IL',NULL,NULL,NULL);
/*!40000 ALTER TABLE `customers` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `charges`
--

DROP TABLE IF EXISTS `charges`;
CREATE TABLE `charges` (
  `id` int NOT NULL AUTO_INCREMENT,
  `customer_id` int NOT NULL,
  `card_number` varchar(19) DEFAULT NULL,
  `order_ref` varchar(19) DEFAULT NULL,
  `amount` decimal(10,2) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci;

LOCK TABLES `charges` WRITE;
INSERT INTO `charges` VALUES (1,1,'135410014004955','135410014004955',19.99),(2,2,'4111111111111111','2024110500017',5.00);
UNLOCK TABLES;
