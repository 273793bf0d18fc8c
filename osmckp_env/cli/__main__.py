from osmckp_env.cli import main

raise SystemExit(main())
