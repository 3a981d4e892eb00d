from upstatd.cli import main

raise SystemExit(main())
