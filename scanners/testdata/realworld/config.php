<?php
// config/database.php of a Laravel-style application, from a backup tarball.
define('DB_NAME', 'shop');
define('DB_USER', 'shop');
define('DB_PASSWORD', 'Wp-DbPw_8812!');
define('AUTH_KEY', 'x7#Lq(2mV!9pR@4sT^1wZ*6nB');
define('SECURE_AUTH_KEY', 'put your unique phrase here');

return [
    'default' => env('DB_CONNECTION', 'mysql'),
    'connections' => [
        'mysql' => [
            'driver'    => 'mysql',
            'host'      => env('DB_HOST', 'localhost'),
            'database'  => 'shop',
            'username'  => 'shop',
            'password'  => 'Lrv-MyPw_5521',
            'charset'   => 'utf8mb4',
        ],
        'reporting' => [
            'driver'   => 'pgsql',
            'password' => env('REPORTING_DB_PASSWORD'),
        ],
    ],
    'redis' => [
        'password' => null,
    ],
    'mail' => [
        'password_reset_expire' => 60,
        'smtp_password' => "Sm7p-Pw#0042",
    ],
];

$config['encryption_key'] = 'Kc9vT2xL7mQ4wR8z';
$config['db']['password'] = getenv('DB_PASSWORD');
$dsn .= ';password=' . $password;
